"""What the admin console reads: a signed-in session's principal, appointments with names, the waiting list.

Read-only queries over the business's database, shaped for the console's pages (webhooks/admin);
every change the console makes goes through the booking core's commands like any other edge's.
Who may see what is `core.booking.access`'s: these functions take the provider ids to read and
leave choosing them to the caller.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.booking.access import Principal, principal_for
from core.booking.schedules import get_business
from core.db.models import Appointment, ApiToken, Provider, Service, User, WaitlistEntry, WaitlistOffer
from core.db.session import UnitOfWork

MAX_ROWS = 500  # one page never reads more


@dataclass(frozen=True)
class Booked:
    """An appointment as the console's grid and detail show it."""

    id: int
    provider_id: int
    client_id: int
    service_id: int
    service: str
    client: str
    start: datetime
    end: datetime
    status: str
    version: int
    code: str
    notes: str | None
    cancellation_reason: str | None
    late_cancellation: bool


@dataclass(frozen=True)
class Waiting:
    """A waiting-list entry, or an offer out to one, with the names a person reads."""

    id: int
    client: str
    service: str
    provider: str | None  # None: anyone who offers the service
    start: datetime  # the window's start (an entry) or the time offered (an offer)
    end: datetime
    status: str
    expires_at: datetime | None = None  # offers only


def principal_of_token(session_factory: sessionmaker[Session], token_id: int,
                       clock: Callable[[], datetime]) -> Principal | None:
    """The principal a still-valid token acts as, read afresh (role, providers); None once revoked or expired."""
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        found = s.execute(select(ApiToken, User.role).join(User, User.id == ApiToken.user_id)
                          .where(ApiToken.id == token_id)).first()
        if found is None:
            return None
        record, role = found
        if record.revoked_at is not None or (record.expires_at is not None and record.expires_at <= clock()):
            return None
        providers = s.scalars(select(Provider.id).where(Provider.user_id == record.user_id)).all()
    return principal_for(record.user_id, role, providers, record.id)


def appointments(session_factory: sessionmaker[Session], provider_ids: Iterable[int], start: datetime,
                 end: datetime) -> list[Booked]:
    """The providers' appointments overlapping [start, end), every status, by start."""
    query = (_booked_query().where(Appointment.provider_id.in_(list(provider_ids)),
                                   Appointment.end_at > start, Appointment.start_at < end)
             .order_by(Appointment.start_at, Appointment.id).limit(MAX_ROWS))
    with UnitOfWork(session_factory) as uow:
        return [_booked(*row) for row in uow.session.execute(query)]


def appointment(session_factory: sessionmaker[Session], appointment_id: int) -> Booked | None:
    with UnitOfWork(session_factory) as uow:
        row = uow.session.execute(_booked_query().where(Appointment.id == appointment_id)).first()
    return _booked(*row) if row else None


def _booked_query():
    return (select(Appointment, Service.name, User.name)
            .join(Service, Service.id == Appointment.service_id).join(User, User.id == Appointment.client_id))


def _booked(a: Appointment, service: str, client: str | None) -> Booked:
    return Booked(a.id, a.provider_id, a.client_id, a.service_id, service, client or f"client #{a.client_id}",
                  a.start_at, a.end_at, a.status, a.version, a.confirmation_code, a.notes, a.cancellation_reason,
                  bool(a.late_cancellation))


def waiting_list(session_factory: sessionmaker[Session], provider_ids: Iterable[int] | None, now: datetime,
                 ) -> tuple[list[Waiting], list[Waiting]]:
    """(entries still waiting or offered whose window is not over, offers open now); None: every provider's."""
    entries = (select(WaitlistEntry, User.name, Service.name, Provider.name)
               .join(User, User.id == WaitlistEntry.client_id).join(Service, Service.id == WaitlistEntry.service_id)
               .outerjoin(Provider, Provider.id == WaitlistEntry.provider_id)
               .where(WaitlistEntry.status.in_(("waiting", "offered")), WaitlistEntry.window_end > now)
               .order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(MAX_ROWS))
    offers = (select(WaitlistOffer, User.name, Service.name, Provider.name)
              .join(User, User.id == WaitlistOffer.client_id).join(Service, Service.id == WaitlistOffer.service_id)
              .join(Provider, Provider.id == WaitlistOffer.provider_id)
              .where(WaitlistOffer.status == "open").order_by(WaitlistOffer.expires_at).limit(MAX_ROWS))
    if provider_ids is not None:
        ids = list(provider_ids)
        entries, offers = entries.where(WaitlistEntry.provider_id.in_(ids)), offers.where(
            WaitlistOffer.provider_id.in_(ids))
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        waiting = [Waiting(e.id, client, service, provider, e.window_start, e.window_end, e.status)
                   for e, client, service, provider in s.execute(entries)]
        open_offers = [Waiting(o.id, client, service, provider, o.start_at, o.end_at, o.status, o.expires_at)
                       for o, client, service, provider in s.execute(offers)]
    return waiting, open_offers


def providers_of(session_factory: sessionmaker[Session], appointment_ids: Iterable[int]) -> dict[int, int]:
    """Each appointment's provider id (to show a provider only the notifications about their own)."""
    ids = list({i for i in appointment_ids if i is not None})
    if not ids:
        return {}
    with UnitOfWork(session_factory) as uow:
        return dict(uow.session.execute(select(Appointment.id, Appointment.provider_id)
                                        .where(Appointment.id.in_(ids))).all())


def business(session_factory: sessionmaker[Session]) -> tuple[str, str]:
    """The business's (name, time zone)."""
    with UnitOfWork(session_factory) as uow:
        found = get_business(uow.session)
        return found.name, found.timezone
