"""`/api/v1/providers/{id}/calendar`: a provider's secret calendar feed URL, and revoking it."""
from __future__ import annotations

from fastapi import APIRouter, Request

from core.booking import access
from core.booking.feeds import PROVIDER
from webhooks.api.providers import ProviderId
from webhooks.api.schemas import ApiModel
from webhooks.deps import ContainerDep, PrincipalDep

router = APIRouter(prefix="/providers", tags=["providers"])


class CalendarFeedOut(ApiModel):
    url: str  # `<public URL>/calendar/<secret>.ics`


class CalendarRevokedOut(ApiModel):
    revoked: bool  # False when the provider had no feed standing


@router.get("/{provider_id}/calendar", response_model=CalendarFeedOut)
def provider_calendar(provider_id: ProviderId, request: Request, container: ContainerDep,
                      who: PrincipalDep) -> CalendarFeedOut:
    """The provider's feed URL (the same one until it is revoked), to subscribe to from Google Calendar,
    Outlook or Apple Calendar. It holds their appointments from 30 days ago on, with their clients' names."""
    access.require_own_provider(who, provider_id, "read the calendar feed")
    feeds = container.feeds
    path = feeds.path(PROVIDER, provider_id, actor=who.actor)
    base = feeds.base_url or str(request.base_url).rstrip("/")  # no SLOTLINE_PUBLIC_URL: where we were asked
    return CalendarFeedOut(url=base + path)


@router.delete("/{provider_id}/calendar", response_model=CalendarRevokedOut)
def revoke_provider_calendar(provider_id: ProviderId, container: ContainerDep,
                             who: PrincipalDep) -> CalendarRevokedOut:
    """Revoke the provider's feed: its URL answers 404 from now on, and the next GET makes a new one."""
    access.require_own_provider(who, provider_id, "revoke the calendar feed")
    return CalendarRevokedOut(revoked=container.feeds.revoke(PROVIDER, provider_id, actor=who.actor))
