"""`/api/v1/providers`: the people who give appointments, the services they offer and their hours."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.booking import catalog, errors
from core.db.models import Break, Provider, WeeklyHours
from webhooks.api.fields import MAX_ID
from webhooks.api.schemas import BreakSlot, ProviderIn, ProviderOut, TimeSlot
from webhooks.deps import ContainerDep, ReadSession, catalog_write

router = APIRouter(prefix="/providers", tags=["providers"])
ProviderId = Annotated[int, Path(ge=1, le=MAX_ID)]


def hours_of(session: Session, provider_id: int) -> tuple[list[TimeSlot], list[BreakSlot]]:
    """A provider's weekly hours and breaks as the API shows them, by day then start."""
    hours = session.scalars(select(WeeklyHours).where(WeeklyHours.provider_id == provider_id)
                            .order_by(WeeklyHours.day_of_week, WeeklyHours.start_time))
    breaks = session.scalars(select(Break).where(Break.provider_id == provider_id)
                             .order_by(Break.day_of_week, Break.start_time))
    return ([TimeSlot(day_of_week=h.day_of_week, start_time=h.start_time, end_time=h.end_time) for h in hours],
            [BreakSlot(day_of_week=b.day_of_week, start_time=b.start_time, end_time=b.end_time) for b in breaks])


def provider_out(session: Session, provider: Provider) -> ProviderOut:
    return ProviderOut.of(provider, *hours_of(session, provider.id))


def active_provider(session: Session, provider_id: int) -> Provider:
    provider = session.get(Provider, provider_id)
    if provider is None or not provider.active:
        raise errors.NotFound(f"provider {provider_id} not found")
    return provider


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProviderOut)
def create_provider(body: ProviderIn, container: ContainerDep) -> ProviderOut:
    with catalog_write(container) as session:
        provider = catalog.create_provider(
            session, name=body.name, timezone=body.timezone, service_ids=body.service_ids, user_id=body.user_id,
            email=body.email, slack_user_id=body.slack_user_id, daily_limit=body.daily_limit)
    return ProviderOut.of(provider, [], [])


@router.get("", response_model=list[ProviderOut])
def list_providers(session: ReadSession) -> list[ProviderOut]:
    query = select(Provider).where(Provider.active.is_(True)).order_by(Provider.id)
    return [provider_out(session, p) for p in session.scalars(query)]


@router.get("/{provider_id}", response_model=ProviderOut)
def get_provider(provider_id: ProviderId, session: ReadSession) -> ProviderOut:
    return provider_out(session, active_provider(session, provider_id))
