"""A provider's working day: their agenda in their own zone, marking it, running late, cancelling, time off.

Channel-free and synchronous (an edge runs it in a thread). Appointments change only through the
booking core's commands. A cancellation reaches the client the normal way: `BookingService.cancel`
records its event and the notifications tell them, worded as any cancellation by the business.
Running late is said at once, over the client's own channel (the `Outbox`). Time off follows the
one rule the REST API follows too (`timeoff.block_time`). A refusal is a `BookingError` whose
message is fit to show the provider; the edge adds only how to ask again in its own terms.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.booking import errors, providers
from core.booking.approval import Approvals
from core.booking.commands import Cancel, SetStatus
from core.booking.providers import ProviderCard
from core.booking.schedules import get_business
from core.booking.service import BookingService
from core.booking.timeoff import TimeOffRequest, block_time
from core.booking.views import client_records
from core.conversation.messages import Reply
from core.conversation.render import clock, day_label, zone_label
from core.db.models import ACTIVE_STATUSES, Appointment, Service, User
from core.db.session import UnitOfWork
from core.notifications.sender import NoChannel, Outbox, SendFailed
from core.timeparse import parse_time

FINE_GRAINS = ("second", "minute", "hour")
ACTOR = "provider"


class NotYours(errors.BookingError):
    """The appointment is another provider's."""

    code = "not_yours"


class UnclearDay(errors.InvalidRequest):
    """No day could be read from what the provider wrote."""

    code = "unclear_day"


class UnclearHours(errors.InvalidRequest):
    """Time off needs a start and an end time, and what the provider wrote did not give both."""

    code = "unclear_hours"


class HoursPassed(errors.InvalidRequest):
    """The hours to block are over already."""

    code = "hours_passed"


class NothingToTell(errors.NotActive):
    """Running late for an appointment that is not active, or is over: the client is told nothing."""


class TimeOffClash(errors.AppointmentsInTheWay):
    """The time off would cover active appointments; `items` are their agenda lines."""

    def __init__(self, message: str, appointments: tuple, items: tuple[AgendaItem, ...]):
        super().__init__(message, appointments)
        self.items = items


@dataclass(frozen=True)
class AgendaItem:
    appointment_id: int
    start: datetime
    end: datetime
    service: str
    client: str
    status: str
    client_id: int
    client_zone: str
    no_shows: int = 0  # the client's record, for the provider to see (`core.booking.policies`)
    late_cancellations: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def awaiting_approval(self) -> bool:
        """A request the provider approves or declines (see `core.booking.approval`)."""
        return self.status == "pending"


@dataclass(frozen=True)
class Agenda:
    provider: ProviderCard
    day: date
    items: tuple[AgendaItem, ...]
    now: datetime


@dataclass(frozen=True)
class Told:
    """Whether (and where) a client hears of a change: `channel` None when no channel reaches them."""

    client: str
    channel: str | None
    problem: str | None = None  # why they could not be told
    contacts: tuple[str, ...] = ()  # the phone and email on file, for the provider to use instead
    later: bool = False  # the notifications tell them (a cancellation), rather than at once


@dataclass(frozen=True)
class Answered:
    """A request approved or declined: the item as it is now, and where the client will hear of it."""

    item: AgendaItem
    outcome: str  # approved | declined
    told: Told


@dataclass(frozen=True)
class Cancelled:
    item: AgendaItem  # as it was before the cancellation
    told: Told | None  # None: it was cancelled already, and nobody is told twice


class ProviderDay:
    """The booking core, a provider at a time: who they are, their agenda, marking, running late,
    cancelling and time off."""

    def __init__(self, booking: BookingService, session_factory: sessionmaker[Session], outbox: Outbox, *,
                 clock: Callable[[], datetime]):
        self.booking = booking
        self.session_factory = session_factory
        self.outbox = outbox  # reaches a client over their own channel
        self.clock = clock
        self.approvals = Approvals(booking)

    # -- who -----------------------------------------------------------------------------------
    def by_slack_user(self, slack_user_id: str) -> ProviderCard | None:
        """The provider behind this Slack user (`providers.by_slack_user`)."""
        return providers.by_slack_user(self.session_factory, slack_user_id)

    def link_by_email(self, slack_user_id: str, email: str) -> ProviderCard | None:
        """Link the Slack user with this email to the provider with it (`providers.link_slack_user`)."""
        return providers.link_slack_user(self.session_factory, slack_user_id, email)

    def unlinked_emails(self) -> list[str]:
        """Emails of active providers not yet linked to a Slack user."""
        return providers.unlinked_emails(self.session_factory)

    # -- the agenda ----------------------------------------------------------------------------
    def today(self, provider: ProviderCard) -> date:
        """Today in the provider's own zone."""
        return self.clock().astimezone(ZoneInfo(provider.timezone)).date()

    def day_named(self, provider: ProviderCard, text: str) -> date:
        """The day a phrase names in the provider's zone ("friday", "dec 3"); today when it is empty."""
        if not text.strip():
            return self.today(provider)
        zone = ZoneInfo(provider.timezone)
        value = parse_time(text, now=self.clock().astimezone(zone), tz=zone)
        if value is None or value.start is None:
            raise UnclearDay(f"I couldn't tell which day \"{text.strip()}\" is.")
        return value.start.astimezone(zone).date()

    def agenda(self, provider: ProviderCard, day: date) -> Agenda:
        """The provider's appointments on `day` (midnight to midnight in their zone), cancelled ones too."""
        start, end = _day_bounds(day, provider.timezone)
        appointments = self.booking.list(provider_id=provider.id, start=start, end=end)
        return Agenda(provider, day, tuple(self._items(appointments)), self.clock())

    def item(self, provider: ProviderCard, appointment_id: int) -> AgendaItem:
        """One of the provider's own appointments (another provider's is refused)."""
        appointment = self.booking.get(appointment_id)
        if appointment.provider_id != provider.id:
            raise NotYours("That appointment is not one of yours, so I can't change it.")
        return self._items([appointment])[0]

    def day_of(self, provider: ProviderCard, item: AgendaItem) -> date:
        """The day, in the provider's zone, whose agenda shows `item`."""
        return item.start.astimezone(ZoneInfo(provider.timezone)).date()

    # -- acting on it --------------------------------------------------------------------------
    def mark(self, provider: ProviderCard, appointment_id: int, status: str) -> AgendaItem:
        """Completed or no-show (only once it has started)."""
        item = self.item(provider, appointment_id)
        self.booking.set_status(SetStatus(appointment_id, status, actor=ACTOR))
        return item

    def approve(self, provider: ProviderCard, appointment_id: int) -> Answered:
        """Confirm one of the provider's requests; the client hears it by the notifications (its event)."""
        self.item(provider, appointment_id)  # theirs, or refused
        self.approvals.approve(appointment_id, actor=ACTOR)
        item = self.item(provider, appointment_id)
        return Answered(item, "approved", self._told_later(item))

    def decline(self, provider: ProviderCard, appointment_id: int) -> Answered:
        """Turn one of the provider's requests down, freeing its time; the client is told kindly."""
        self.item(provider, appointment_id)  # theirs, or refused
        self.approvals.decline(appointment_id, actor=ACTOR, reason="declined by the provider")
        item = self.item(provider, appointment_id)
        return Answered(item, "declined", self._told_later(item))

    def running_late(self, provider: ProviderCard, appointment_id: int, minutes: int) -> Told:
        """Tell the client now, over their own channel, that the provider is running late."""
        item, now = self.item(provider, appointment_id), self.clock()
        if not item.active or item.end <= now:
            raise NothingToTell(f"Your {item.service} with {item.client} is {item.status.replace('_', '-')}"
                                f"{' and over' if item.end <= now else ''}, so I haven't told them anything.")
        text = (f"{provider.name} is running about {minutes} minutes late for your {item.service} "
                f"{self._client_when(item)}. Sorry for the wait!")
        try:
            channel, _ = self.outbox.send_to_user(item.client_id, Reply(text))
        except (NoChannel, SendFailed) as exc:
            return Told(item.client, None, str(exc), self._contacts(item.client_id))
        return Told(item.client, channel)

    def cancel(self, provider: ProviderCard, appointment_id: int, reason: str) -> Cancelled:
        """Cancel for the provider and free the slot; the client is told with the reason, as for any
        cancellation by the business (`BookingService.cancel`'s event)."""
        item = self.item(provider, appointment_id)
        if item.status == "cancelled":
            return Cancelled(item, None)
        self.booking.cancel(Cancel(appointment_id, reason=reason.strip(), actor=ACTOR))
        return Cancelled(item, self._told_later(item))

    def block(self, provider: ProviderCard, text: str, *, note: str | None = None) -> tuple[datetime, datetime]:
        """Time off for a phrase like "2-4pm friday", read in the provider's zone; returns its start and end.
        `note` is the time off's own note, for staff (where it was blocked).

        The rule (no time off over active appointments) is `timeoff.block_time`'s; a clash is
        refused as a `TimeOffClash` naming them, for the provider to cancel or move first."""
        start, end = self._hours_named(provider, text)
        try:
            block_time(self.booking, TimeOffRequest(provider.id, start, end, reason=note))
        except errors.AppointmentsInTheWay as clash:
            items = tuple(self._items(list(clash.appointments)))
            zone = provider.timezone
            listed = "; ".join(f"{clock(i.start, zone)}–{clock(i.end, zone)} {i.service} with {i.client}"
                               for i in items)
            them = "it" if len(items) == 1 else "them"
            raise TimeOffClash(f"I can't block {hours_label(start, end, zone)}: it overlaps "
                               f"{_count(len(items), 'appointment')}: {listed}. Cancel or move {them} first, "
                               "or block another time.", clash.appointments, items) from None
        return start, end

    # -- helpers -------------------------------------------------------------------------------
    def _hours_named(self, provider: ProviderCard, text: str) -> tuple[datetime, datetime]:
        """The start and end (UTC) a phrase names; refused unless it has both, at a grain finer than a day."""
        zone = ZoneInfo(provider.timezone)
        value = parse_time(text, now=self.clock().astimezone(zone), tz=zone) if text.strip() else None
        if value is None or value.start is None or value.end is None or value.grain not in FINE_GRAINS:
            heard = f" I read \"{text.strip()}\" as {_described(value, zone)}." if value and value.start else ""
            raise UnclearHours(f"Which hours should I block?{heard} Give a start and an end time.")
        start, end = value.start.astimezone(UTC), value.end.astimezone(UTC)
        if end <= self.clock():
            raise HoursPassed(f"{day_label(start, provider.timezone)} {clock(start, provider.timezone)}–"
                              f"{clock(end, provider.timezone)} has already passed.")
        return start, end

    def _items(self, appointments: list[Appointment]) -> list[AgendaItem]:
        if not appointments:
            return []
        with UnitOfWork(self.session_factory) as uow:
            return _items(uow.session, appointments)

    def _client_when(self, item: AgendaItem) -> str:
        day = day_label(item.start, item.client_zone, self.clock())
        return f"{day} at {clock(item.start, item.client_zone)} ({zone_label(item.client_zone)})"

    def _told_later(self, item: AgendaItem) -> Told:
        """Where the notifications will tell the client of a change (or why nothing can reach them)."""
        try:
            channel = self.outbox.route(item.client_id)[0].channel
        except NoChannel as exc:
            return Told(item.client, None, str(exc), self._contacts(item.client_id), later=True)
        return Told(item.client, channel, later=True)

    def _contacts(self, client_id: int) -> tuple[str, ...]:
        with UnitOfWork(self.session_factory) as uow:
            user = uow.session.get(User, client_id)
            return tuple(w for w in (user.phone, user.email) if w) if user else ()


def hours_label(start: datetime, end: datetime, zone: str) -> str:
    """Blocked hours as the provider reads them: "Fri 4 Dec 14:00–16:00 (New York time)"."""
    return f"{day_label(start, zone)} {clock(start, zone)}–{clock(end, zone)} ({zone_label(zone)})"


def _items(s: Session, appointments: list[Appointment]) -> list[AgendaItem]:
    """Agenda lines for appointments: with the service's and the client's names, the client's zone, and the
    client's no-shows and late cancellations (one grouped count for all of them)."""
    services = dict(s.execute(select(Service.id, Service.name).where(
        Service.id.in_({a.service_id for a in appointments}))).all())
    clients = {u.id: u for u in s.scalars(select(User).where(User.id.in_({a.client_id for a in appointments})))}
    record = client_records(s, clients)
    business_zone = get_business(s).timezone
    return [AgendaItem(a.id, a.start_at, a.end_at, services.get(a.service_id, "Appointment"),
                       clients[a.client_id].name or f"client #{a.client_id}", a.status, a.client_id,
                       clients[a.client_id].timezone or business_zone, *record.get(a.client_id, (0, 0)))
            for a in appointments]


def _day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _described(value, zone: ZoneInfo) -> str:
    start = value.start.astimezone(zone)
    if value.grain in ("day", "week", "month", "year"):
        return f"{start:%a} {start.day} {start:%b}, with no times"
    return f"from {start:%a} {start.day} {start:%b} {start:%H:%M}, with no end"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
