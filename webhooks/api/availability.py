"""Free slots: for one provider (`/providers/{id}/availability`) or any provider (`/availability`).

Dates are the provider's local dates; times are shown in the `timezone` asked for, else in
each provider's own zone, as aware ISO 8601.
"""
from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from core.booking import access
from core.booking.commands import FindSlots
from core.booking.setup import BusinessSetup
from core.booking.slots import FreeSlot
from webhooks.api.fields import MAX_ID, Day, Zone
from webhooks.api.providers import ProviderId
from webhooks.api.schemas import SlotOut, SlotsOut
from webhooks.deps import BookingDep, PrincipalDep, SetupDep

router = APIRouter(tags=["availability"])
ServiceQuery = Annotated[int, Query(alias="serviceId", ge=1, le=MAX_ID, description="the service to fit")]
StartDate = Annotated[Day, Query(alias="startDate", description="first provider-local date, YYYY-MM-DD")]
EndDate = Annotated[Day | None, Query(alias="endDate", description="last date, inclusive; default: startDate")]
ZoneQuery = Annotated[Zone | None, Query(description="IANA zone to show times in, like America/New_York")]
ClientQuery = Annotated[int | None, Query(alias="clientId", ge=1, le=MAX_ID,
                                          description="whose own holds should not hide slots")]


def _render(slots: list[FreeSlot], zones: dict[int, ZoneInfo], *, with_provider: bool) -> list[SlotOut]:
    return [SlotOut(start_time=s.start.astimezone(zones[s.provider_id]),
                    end_time=s.end.astimezone(zones[s.provider_id]),
                    provider_id=s.provider_id if with_provider else None) for s in slots]


def _zones(setup: BusinessSetup, provider_ids: set[int], asked: str | None) -> dict[int, ZoneInfo]:
    if asked:
        return dict.fromkeys(provider_ids, ZoneInfo(asked))
    return {pid: ZoneInfo(tz) for pid, tz in setup.provider_zones(provider_ids).items()}


@router.get("/providers/{provider_id}/availability", response_model=SlotsOut, response_model_exclude_none=True)
def provider_availability(provider_id: ProviderId, service_id: ServiceQuery, start_date: StartDate,
                          booking: BookingDep, setup: SetupDep, who: PrincipalDep, end_date: EndDate = None,
                          timezone: ZoneQuery = None, client_id: ClientQuery = None) -> SlotsOut:
    access.require_own_holds(who, client_id)
    slots = booking.find_slots(FindSlots(service_id=service_id, provider_id=provider_id, start_date=start_date,
                                         end_date=end_date or start_date, holder=client_id))
    zones = _zones(setup, {provider_id}, timezone)
    return SlotsOut(timezone=str(zones[provider_id]), slots=_render(slots, zones, with_provider=False))


@router.get("/availability", response_model=SlotsOut)
def any_provider_availability(service_id: ServiceQuery, start_date: StartDate, booking: BookingDep,
                              setup: SetupDep, who: PrincipalDep, end_date: EndDate = None,
                              timezone: ZoneQuery = None, client_id: ClientQuery = None) -> SlotsOut:
    """Free slots of every provider who offers the service; each slot names its provider."""
    access.require_own_holds(who, client_id)
    slots = booking.find_slots(FindSlots(service_id=service_id, start_date=start_date,
                                         end_date=end_date or start_date, holder=client_id))
    zones = _zones(setup, {s.provider_id for s in slots}, timezone)
    return SlotsOut(timezone=timezone, slots=_render(slots, zones, with_provider=True))


