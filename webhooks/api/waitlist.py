"""`/api/v1/waitlist`: who waits for a time to open up; join, list, leave.

Offering freed time to the list is the worker's (`core.booking.backfill`); this module only turns
HTTP into the waiting list's calls and its entries back into JSON.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import Field

from core.booking import access, waitlist
from webhooks.api.fields import MAX_ID, Id, Instant
from webhooks.api.schemas import ApiModel, RequestModel
from webhooks.deps import BookingDep, OwnersDep, PrincipalDep

router = APIRouter(prefix="/waitlist", tags=["waitlist"])
CHANNEL = "api"
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]


class WaitlistIn(RequestModel):
    client_id: Id
    service_id: Id
    provider_id: Id | None = Field(default=None, description="one provider; leave out for anyone who offers it")
    window_start: Instant = Field(examples=["2025-03-11T00:00:00+00:00"])
    window_end: Instant = Field(examples=["2025-03-12T00:00:00+00:00"],
                                description="the appointment may start in [windowStart, windowEnd)")


class WaitlistOut(ApiModel):
    id: int
    client_id: int
    service_id: int
    provider_id: int | None
    window_start: datetime
    window_end: datetime
    status: str = Field(description="waiting | offered (a time is held for them now) | booked | expired | left")
    channel: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry) -> WaitlistOut:
        return cls(id=entry.id, client_id=entry.client_id, service_id=entry.service_id,
                   provider_id=entry.provider_id, window_start=entry.window_start, window_end=entry.window_end,
                   status=entry.status, channel=entry.channel, created_at=entry.created_at)


@router.get("", response_model=list[WaitlistOut])
def list_entries(
    booking: BookingDep,
    who: PrincipalDep,
    service_id: Annotated[int | None, Query(alias="serviceId", ge=1, le=MAX_ID)] = None,
    provider_id: Annotated[int | None, Query(alias="providerId", ge=1, le=MAX_ID)] = None,
    client_id: Annotated[int | None, Query(alias="clientId", ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> list[WaitlistOut]:
    """Entries in the order they joined (the order freed time is offered in), of every status. A provider's
    token lists those naming its provider, a client's token the client's own."""
    provider_id, client_id = access.waitlist_filter(who, provider_id=provider_id, client_id=client_id)
    found = waitlist.listed(booking, service_id=service_id, provider_id=provider_id, client_id=client_id,
                            limit=limit)
    return [WaitlistOut.of(entry) for entry in found]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WaitlistOut)
def join(body: WaitlistIn, booking: BookingDep, who: PrincipalDep) -> WaitlistOut:
    """Join the list: when a matching time is freed, it is held for the client and offered over their
    own channel. Joining again with the same window returns the same entry."""
    access.require_may_join(who, provider_id=body.provider_id, client_id=body.client_id)
    return WaitlistOut.of(waitlist.add(
        booking, client_id=body.client_id, service_id=body.service_id, provider_id=body.provider_id,
        start=body.window_start, end=body.window_end, channel=CHANNEL, actor=who.actor))


@router.delete("/{entry_id}", response_model=WaitlistOut)
def leave(entry_id: EntryId, booking: BookingDep, who: PrincipalDep, owners: OwnersDep) -> WaitlistOut:
    """Leave the list; a time held for the entry right now passes to the next in line."""
    if not who.is_admin:
        entry = owners.waitlist_entry(entry_id)
        access.require_entry_visible(who, entry_id, provider_id=entry.provider_id, client_id=entry.client_id)
    return WaitlistOut.of(waitlist.leave(booking, entry_id, actor=who.actor))
