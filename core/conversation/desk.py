"""What the conversation may ask of the rest of Slotline: the catalogue, the client, the booking core.

One small desk, so the assistant never reaches into the database or Redis itself; handlers
reach the booking core through `Desk.bookings`, the `Bookings` port (`ports.py`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.booking import clients
from core.booking.feeds import CalendarFeeds
from core.booking.schedules import catalogue_version, get_business, load_schedule
from core.booking.service import BookingService
from core.conversation.hours import WorkingTimes
from core.conversation.nlu import Named
from core.conversation.bookings import CoreBookings
from core.conversation.ports import Bookings, CodeSender, Quotas
from core.db.models import Provider, Service, User
from core.db.session import UnitOfWork


@dataclass(frozen=True)
class Client:
    id: int | None  # None: someone who has not booked or joined the waiting list yet
    name: str | None
    timezone: str


@dataclass(frozen=True)
class Catalogue:
    business_name: str
    timezone: str
    services: dict[int, Service]
    providers: dict[int, Provider]
    offers: dict[int, set[int]]  # service id -> provider ids
    confirm_sms_cancel: bool = True  # "X" to a reminder asks "are you sure?" first
    verify_web_contact: bool = False  # a visitor who could be anyone proves a phone or email before booking
    currency: str | None = None  # how prices are shown ("GBP", "£"); None: plain numbers
    horizon_days: int = 60  # bookings taken this many days ahead

    def service_names(self) -> list[Named]:
        return [Named(s.id, (s.name, *s.synonyms)) for s in self.services.values()]

    def provider_names(self) -> list[Named]:
        return [Named(p.id, (p.name,)) for p in self.providers.values()]

    def resource_names(self) -> list[Named]:
        """The rooms and equipment the services use: names the time grammar must not read ("room 12")."""
        used = {r.id: r.name for service in self.services.values() for r in service.resources}
        return [Named(rid, (name,)) for rid, name in used.items()]


class Desk:
    """The booking core (`bookings`), the catalogue and the client as the assistant sees them."""

    # The channels Slotline can send on, set by the composition root (None: not known, assume any).
    channels: frozenset[str] | None = None
    quotas: Quotas | None = None  # per-origin allowances (bookings, codes); None: uncapped
    codes: CodeSender | None = None  # one-time codes for verifying a contact; None: cannot verify
    feeds: CalendarFeeds | None = None  # the clients' calendar feed URLs; None: no feeds to give

    def __init__(self, booking: BookingService, session_factory: sessionmaker[Session], *, ttl: float = 60.0):
        self.bookings: Bookings = CoreBookings(booking, session_factory)  # the only way a handler books
        self._clock = booking.clock
        self.session_factory = session_factory
        self._ttl = ttl
        self._catalogue: tuple[int | None, float, Catalogue] | None = None  # (version, read at, catalogue)

    def now(self) -> datetime:
        return self._clock()

    def catalogue(self) -> Catalogue:
        """Services and providers as they are now, from a copy kept while the catalogue's version is unchanged.

        Every catalogue write bumps the version in the database (`schedules.bump_catalogue`), so a
        change made by any process is seen on the next turn at the cost of one read by primary key;
        `ttl` only bounds how long a change made behind Slotline's back (plain SQL) goes unseen."""
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            version = catalogue_version(s)  # first: a change landing after it is seen next time
            kept = self._catalogue
            if kept is None or kept[0] != version or time.monotonic() - kept[1] > self._ttl:
                kept = self._catalogue = (version, time.monotonic(), _read_catalogue(s))
        return kept[2]

    def client(self, channel: str, sender: str, display_name: str | None, phone: str | None) -> Client:
        """The client behind a channel identity; one with no id yet when this person is new.

        Nobody becomes a user just by talking: `enroll` makes the row when they book or join
        the waiting list, so a stranger's (or a script's) chatter leaves nothing behind. A new
        identity whose phone is on file is that person (`clients.find`)."""
        known = clients.find(self.session_factory, channel, sender, phone=phone)
        if known is None:
            return Client(None, (display_name or "").strip()[:200] or None, self.catalogue().timezone)
        if known.last_channel != channel:  # who hears on what falls back to where they last talked
            clients.talked_on(self.session_factory, known.id, channel)
        return self._client(known)

    def enroll(self, channel: str, sender: str, display_name: str | None, phone: str | None) -> Client:
        """The client behind a channel identity, made now if there is none (`clients.enroll`)."""
        return self._client(clients.enroll(self.session_factory, channel, sender, display_name=display_name,
                                           phone=phone))

    def enroll_verified(self, channel: str, sender: str, display_name: str | None, *, phone: str | None = None,
                        email: str | None = None) -> Client:
        """Tie a channel identity to whoever holds the phone or email just proven, made now if nobody does."""
        return self._client(clients.enroll_verified(self.session_factory, channel, sender,
                                                    display_name=display_name, phone=phone, email=email))

    def booked_for(self, booker_id: int, name: str) -> int:
        """The client id of the person `booker_id` books for under `name` ("for me and my son"),
        made now if need be; what is sent to them goes to the booker (`clients.booked_for`)."""
        return clients.booked_for(self.session_factory, booker_id, name).id

    def _client(self, known: clients.KnownClient) -> Client:
        return Client(known.id, known.name, known.timezone or self.catalogue().timezone)

    def allowed(self, rule: str, key: str | None) -> int | None:
        """None when one more `rule` use by `key` is allowed (or nothing is capped), else seconds to wait."""
        if self.quotas is None or key is None:
            return None
        refusal = self.quotas.hit(rule, key)
        return None if refusal is None else max(1, int(refusal.retry_after))

    def set_name(self, client_id: int, name: str) -> None:
        with UnitOfWork(self.session_factory, write=True) as uow:
            uow.session.get(User, client_id).name = name.strip()[:200]
            uow.commit()

    def working_times(self) -> WorkingTimes:
        """Each active provider's hours, days off and time off: what questions about opening hours and
        who works when are answered from (`questions`)."""
        catalogue = self.catalogue()
        with UnitOfWork(self.session_factory) as uow:
            schedules = {p.id: load_schedule(uow.session, p.id, p.timezone) for p in catalogue.providers.values()}
        return WorkingTimes(catalogue.horizon_days, schedules, {p.id: p.name for p in catalogue.providers.values()})


def _read_catalogue(s: Session) -> Catalogue:
    business = get_business(s)
    services = {sv.id: sv for sv in s.scalars(select(Service).where(Service.active.is_(True)).order_by(Service.id))}
    providers = {p.id: p for p in s.scalars(select(Provider).where(Provider.active.is_(True)).order_by(Provider.id))}
    offers = {sid: {p.id for p in providers.values() if any(x.id == sid for x in p.services)} for sid in services}
    return Catalogue(business.name, business.timezone, services, providers, offers, business.confirm_sms_cancel,
                     bool(business.verify_web_contact), business.currency, business.horizon_days)

