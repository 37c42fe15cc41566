"""The read side of the business's set-up: users, resources, services, providers and their hours.

Each view is a frozen snapshot taken inside a unit of work, so an edge can show it after the
transaction has ended without touching the database again (the CQRS "views" of cosmicpython).
The query functions take a session; `core.booking.setup.BusinessSetup` opens one for them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from core.booking import errors
from core.booking.setup_writes import Window
from core.db.models import Appointment, Break, Provider, Resource, Service, User, WeeklyHours


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    email: str | None
    phone: str | None
    role: str
    timezone: str | None
    preferred_channel: str | None
    created_at: datetime
    no_shows: int = 0  # appointments they missed
    late_cancellations: int = 0  # cancelled inside the business's window (flagged, never refused)

    @classmethod
    def of(cls, user: User, record: tuple[int, int] = (0, 0)) -> UserView:
        return cls(id=user.id, name=user.name, email=user.email, phone=user.phone, role=user.role,
                   timezone=user.timezone, preferred_channel=user.preferred_channel, created_at=user.created_at,
                   no_shows=record[0], late_cancellations=record[1])


@dataclass(frozen=True)
class ResourceView:
    id: int
    name: str
    kind: str

    @classmethod
    def of(cls, resource: Resource) -> ResourceView:
        return cls(id=resource.id, name=resource.name, kind=resource.kind)


@dataclass(frozen=True)
class ServiceView:
    id: int
    name: str
    description: str | None
    duration_minutes: int
    price: Decimal | None
    buffer_before_minutes: int
    buffer_after_minutes: int
    resource_ids: tuple[int, ...]
    synonyms: tuple[str, ...]
    active: bool
    needs_approval: bool = False  # a booking of it is a request the provider approves (`core.booking.approval`)

    @classmethod
    def of(cls, service: Service) -> ServiceView:
        return cls(id=service.id, name=service.name, description=service.description,
                   duration_minutes=service.duration_minutes, price=service.price,
                   buffer_before_minutes=service.buffer_before_minutes or 0,
                   buffer_after_minutes=service.buffer_after_minutes or 0,
                   resource_ids=tuple(r.id for r in service.resources), synonyms=tuple(service.synonyms or ()),
                   active=service.active, needs_approval=bool(service.needs_approval))


@dataclass(frozen=True)
class WeeklyHoursView:
    """A provider's weekly hours and breaks, each by day then start; a break's day None means every day."""

    provider_id: int
    hours: tuple[Window, ...] = ()
    breaks: tuple[Window, ...] = ()


@dataclass(frozen=True)
class ProviderView:
    id: int
    name: str
    timezone: str
    service_ids: tuple[int, ...]
    user_id: int | None
    email: str | None
    slack_user_id: str | None
    daily_limit: int | None
    active: bool
    weekly: WeeklyHoursView

    @classmethod
    def of(cls, provider: Provider, weekly: WeeklyHoursView | None = None) -> ProviderView:
        return cls(id=provider.id, name=provider.name, timezone=provider.timezone,
                   service_ids=tuple(s.id for s in provider.services), user_id=provider.user_id,
                   email=provider.email, slack_user_id=provider.slack_user_id, daily_limit=provider.daily_limit,
                   active=provider.active, weekly=weekly or WeeklyHoursView(provider.id))


class AppointmentView(Protocol):
    """What an edge reads of an appointment the booking core hands back (`BookingService.get`,
    `book`, `cancel`...): its detached, loaded row, which nothing should change."""

    id: int
    confirmation_code: str
    status: str
    start_at: datetime
    end_at: datetime
    service_id: int
    provider_id: int
    client_id: int
    version: int
    cancellation_reason: str | None
    late_cancellation: bool | None
    notes: str | None
    created_at: datetime
    updated_at: datetime | None
    series_id: int | None  # the recurring series it is an occurrence of (None: booked on its own)


def user(s: Session, user_id: int) -> UserView:
    """One user, or NotFound."""
    found = s.get(User, user_id)
    if found is None:
        raise errors.NotFound(f"user {user_id} not found")
    return UserView.of(found, client_records(s, [user_id]).get(user_id, (0, 0)))


def client_records(s: Session, client_ids) -> dict[int, tuple[int, int]]:
    """Client id -> (no-shows, late cancellations), for the clients that have any."""
    ids = list(client_ids)
    if not ids:
        return {}
    late = and_(Appointment.status == "cancelled", Appointment.late_cancellation.is_(True))
    rows = s.execute(select(Appointment.client_id, func.sum(case((Appointment.status == "no_show", 1), else_=0)),
                            func.sum(case((late, 1), else_=0)))
                     .where(Appointment.client_id.in_(ids), or_(Appointment.status == "no_show", late))
                     .group_by(Appointment.client_id))
    return {client: (int(no_shows or 0), int(lates or 0)) for client, no_shows, lates in rows}


def resources(s: Session) -> list[ResourceView]:
    """Every resource, by id."""
    return [ResourceView.of(r) for r in s.scalars(select(Resource).order_by(Resource.id))]


def active_services(s: Session) -> list[ServiceView]:
    """The services that can be booked, by id."""
    query = select(Service).where(Service.active.is_(True)).order_by(Service.id)
    return [ServiceView.of(service) for service in s.scalars(query)]


def service(s: Session, service_id: int) -> ServiceView:
    """A service by id, active or not (an old appointment may name a retired one)."""
    found = s.get(Service, service_id)
    if found is None:
        raise errors.NotFound(f"service {service_id} not found")
    return ServiceView.of(found)


def active_providers(s: Session) -> list[ProviderView]:
    """The active providers, by id, with their hours (read for all of them at once)."""
    found = list(s.scalars(select(Provider).where(Provider.active.is_(True)).order_by(Provider.id)))
    weekly = weekly_hours(s, [p.id for p in found])
    return [ProviderView.of(p, weekly[p.id]) for p in found]


def active_provider(s: Session, provider_id: int) -> ProviderView:
    """One active provider with their hours; an unknown or retired one is NotFound."""
    found = s.get(Provider, provider_id)
    if found is None or not found.active:
        raise errors.NotFound(f"provider {provider_id} not found")
    return ProviderView.of(found, weekly_hours(s, [provider_id])[provider_id])


def weekly_hours(s: Session, provider_ids: Iterable[int]) -> dict[int, WeeklyHoursView]:
    """Each provider's weekly hours and breaks (empty for one that has none), in two queries."""
    ids = list(dict.fromkeys(provider_ids))
    hours = _windows(s, WeeklyHours, ids)
    breaks = _windows(s, Break, ids)
    return {pid: WeeklyHoursView(pid, tuple(hours.get(pid, ())), tuple(breaks.get(pid, ()))) for pid in ids}


def provider_zones(s: Session, provider_ids: Iterable[int]) -> dict[int, str]:
    """The IANA zone of each provider asked about that exists."""
    ids = set(provider_ids)
    if not ids:
        return {}
    return dict(s.execute(select(Provider.id, Provider.timezone).where(Provider.id.in_(ids))).all())


def _windows(s: Session, model: type[WeeklyHours] | type[Break], provider_ids: list[int]) -> dict[int, list[Window]]:
    by_provider: dict[int, list[Window]] = {}
    if not provider_ids:
        return by_provider
    rows = s.scalars(select(model).where(model.provider_id.in_(provider_ids))
                     .order_by(model.provider_id, model.day_of_week, model.start_time))
    for row in rows:
        by_provider.setdefault(row.provider_id, []).append(Window(row.day_of_week, row.start_time, row.end_time))
    return by_provider
