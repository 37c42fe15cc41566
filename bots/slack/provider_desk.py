"""A provider's working day as the Slack channel offers it: who they are, their agenda, and acting on it.

Slack-free and synchronous (the listeners run it in a thread). It changes appointments only
through the booking core's commands and reaches clients only through the `Outbox`, over the
client's own channel. Every refusal is a `Refused` whose message is fit to show the provider.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.booking.commands import Cancel, SetStatus
from core.booking.errors import AppointmentsInTheWay
from core.booking.schedules import get_business
from core.booking.service import BookingService
from core.booking.timeoff import TimeOffRequest, block_time
from core.conversation.messages import Reply
from core.conversation.render import clock, day_label, zone_label
from core.db.models import ACTIVE_STATUSES, Appointment, Provider, Service, User
from core.db.session import UnitOfWork
from core.notifications.sender import NoChannel, Outbox, SendFailed
from core.timeparse import parse_time

CHANNEL_NAMES = {"slack": "Slack", "telegram": "Telegram", "sms": "SMS", "web": "the web chat"}
FINE_GRAINS = ("second", "minute", "hour")
BLOCK_EXAMPLE = "For example `/block 2-4pm friday` or `/block tomorrow 9:00-12:30`."


class Refused(Exception):
    """What a provider asked cannot be done; the message says why and what to do instead."""


@dataclass(frozen=True)
class ProviderCard:
    id: int
    name: str
    timezone: str


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

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class Agenda:
    provider: ProviderCard
    day: date
    items: tuple[AgendaItem, ...]
    now: datetime


class ProviderDesk:
    """The booking core, a provider at a time: their agenda, marking, running late, cancelling, time off."""

    def __init__(self, booking: BookingService, session_factory: sessionmaker[Session], outbox: Outbox):
        self.booking = booking
        self.session_factory = session_factory
        self.outbox = outbox

    def now(self) -> datetime:
        return self.booking.clock()

    # -- who ---------------------------------------------------------------------------------
    def by_slack_user(self, slack_user_id: str) -> ProviderCard | None:
        with UnitOfWork(self.session_factory) as uow:
            provider = uow.session.scalar(select(Provider).where(Provider.slack_user_id == slack_user_id,
                                                                 Provider.active.is_(True)))
            return _card(provider) if provider else None

    def link_by_email(self, slack_user_id: str, email: str) -> ProviderCard | None:
        """Remember that the Slack user with this email is the provider with it (unless another one already is)."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            if uow.session.scalar(select(Provider.id).where(Provider.slack_user_id == slack_user_id)):
                return None  # that Slack user already speaks for another provider
            provider = uow.session.scalar(select(Provider).where(
                func.lower(Provider.email) == email.strip().lower(), Provider.active.is_(True),
                Provider.slack_user_id.is_(None)).order_by(Provider.id))
            if provider is None:
                return None
            provider.slack_user_id = slack_user_id
            uow.commit()
            return _card(provider)

    def unlinked_emails(self) -> list[str]:
        """Emails of active providers not yet linked to a Slack user."""
        with UnitOfWork(self.session_factory) as uow:
            return list(uow.session.scalars(select(Provider.email).where(
                Provider.slack_user_id.is_(None), Provider.email.is_not(None), Provider.active.is_(True))))

    # -- the agenda --------------------------------------------------------------------------
    def today(self, provider: ProviderCard) -> date:
        return self.now().astimezone(ZoneInfo(provider.timezone)).date()

    def day_named(self, provider: ProviderCard, text: str) -> date:
        """The day a phrase names in the provider's zone ("friday", "dec 3"); today when it is empty."""
        if not text.strip():
            return self.today(provider)
        zone = ZoneInfo(provider.timezone)
        value = parse_time(text, now=self.now().astimezone(zone), tz=zone)
        if value is None or value.start is None:
            raise Refused(f"I couldn't tell which day \"{text.strip()}\" is. Try `/agenda`, `/agenda tomorrow` "
                          "or `/agenda friday`.")
        return value.start.astimezone(zone).date()

    def agenda(self, provider: ProviderCard, day: date) -> Agenda:
        start, end = _day_bounds(day, provider.timezone)
        appointments = self.booking.list(provider_id=provider.id, start=start, end=end)
        return Agenda(provider, day, tuple(self._items(appointments)), self.now())

    def item(self, provider: ProviderCard, appointment_id: int) -> AgendaItem:
        """One of the provider's own appointments (another provider's is refused)."""
        appointment = self.booking.get(appointment_id)
        if appointment.provider_id != provider.id:
            raise Refused("That appointment is not one of yours, so I can't change it.")
        return self._items([appointment])[0]

    def day_of(self, provider: ProviderCard, item: AgendaItem) -> date:
        return item.start.astimezone(ZoneInfo(provider.timezone)).date()

    # -- acting on it ------------------------------------------------------------------------
    def mark(self, provider: ProviderCard, appointment_id: int, status: str) -> AgendaItem:
        """Completed or no-show (only once it has started)."""
        item = self.item(provider, appointment_id)
        self.booking.set_status(SetStatus(appointment_id, status, actor="provider"))
        return item

    def running_late(self, provider: ProviderCard, appointment_id: int, minutes: int) -> str:
        """Tell the client, over their own channel; returns what to tell the provider."""
        item = self.item(provider, appointment_id)
        if not item.active or item.end <= self.now():
            raise Refused(f"Your {item.service} with {item.client} is {item.status.replace('_', '-')}"
                          f"{' and over' if item.end <= self.now() else ''}, so I haven't told them anything.")
        text = (f"{provider.name} is running about {minutes} minutes late for your {item.service} "
                f"{self._client_when(item)}. Sorry for the wait!")
        return self._tell_client(item, text)

    def cancel(self, provider: ProviderCard, appointment_id: int, reason: str) -> str:
        """Cancel for the provider, free the slot and tell the client; returns what to tell the provider."""
        item = self.item(provider, appointment_id)
        if item.status == "cancelled":
            return f"{item.client}'s {item.service} was already cancelled."
        self.booking.cancel(Cancel(appointment_id, reason=reason.strip(), actor="provider"))
        text = (f"Sorry, {provider.name} has had to cancel your {item.service} {self._client_when(item)}. "
                f"Reason: {reason.strip()}. Message me whenever you'd like to book another time.")
        when = f"{day_label(item.start, provider.timezone)} at {clock(item.start, provider.timezone)}"
        return f"Cancelled {item.client}'s {item.service} on {when}; the time is free again. " + \
            self._tell_client(item, text)

    def block(self, provider: ProviderCard, text: str) -> str:
        """Time off for a phrase like "2-4pm friday", read in the provider's zone; returns the confirmation.

        The rule (no time off over active appointments) is the core's `block_time`; here it is
        only worded for the provider, who is asked to cancel or move them first."""
        start, end = self._hours_named(provider, text)
        zone = provider.timezone
        span = f"{day_label(start, zone)} {clock(start, zone)}–{clock(end, zone)} ({zone_label(zone)})"
        try:
            block_time(self.booking, TimeOffRequest(provider.id, start, end, reason="Blocked in Slack"))
        except AppointmentsInTheWay as clash:
            clashes = self._items(list(clash.appointments))
            listed = "; ".join(f"{clock(i.start, zone)}–{clock(i.end, zone)} {i.service} with {i.client}"
                               for i in clashes)
            them = "it" if len(clashes) == 1 else "them"
            raise Refused(f"I can't block {span}: it overlaps {_count(len(clashes), 'appointment')}: "
                          f"{listed}. Cancel or move {them} first, or block another time.") from None
        return f"Blocked {span}. Nobody can book you then."

    def _hours_named(self, provider: ProviderCard, text: str) -> tuple[datetime, datetime]:
        """The start and end (UTC) a phrase names; refused unless it has both, at a grain finer than a day."""
        zone = ZoneInfo(provider.timezone)
        value = parse_time(text, now=self.now().astimezone(zone), tz=zone) if text.strip() else None
        if value is None or value.start is None or value.end is None or value.grain not in FINE_GRAINS:
            heard = f" I read \"{text.strip()}\" as {_described(value, zone)}." if value and value.start else ""
            raise Refused(f"Which hours should I block?{heard} Give a start and an end time. {BLOCK_EXAMPLE}")
        start, end = value.start.astimezone(UTC), value.end.astimezone(UTC)
        if end <= self.now():
            raise Refused(f"{day_label(start, provider.timezone)} {clock(start, provider.timezone)}–"
                          f"{clock(end, provider.timezone)} has already passed. {BLOCK_EXAMPLE}")
        return start, end

    # -- helpers -----------------------------------------------------------------------------
    def _items(self, appointments: list[Appointment], session: Session | None = None) -> list[AgendaItem]:
        if session is not None or not appointments:
            return _items(session, appointments)
        with UnitOfWork(self.session_factory) as uow:
            return _items(uow.session, appointments)

    def _client_when(self, item: AgendaItem) -> str:
        day = day_label(item.start, item.client_zone, self.now())
        return f"{day} at {clock(item.start, item.client_zone)} ({zone_label(item.client_zone)})"

    def _tell_client(self, item: AgendaItem, text: str) -> str:
        try:
            channel, _ = self.outbox.send_to_user(item.client_id, Reply(text))
        except (NoChannel, SendFailed) as exc:
            return f"I couldn't tell {item.client} ({exc}){self._contact(item.client_id)}."
        return f"I told {item.client} on {CHANNEL_NAMES.get(channel, channel)}."

    def _contact(self, client_id: int) -> str:
        with UnitOfWork(self.session_factory) as uow:
            user = uow.session.get(User, client_id)
            ways = [w for w in (user.phone, user.email) if w] if user else []
        return f"; you can reach them at {' or '.join(ways)}" if ways else ""


def _items(s: Session, appointments: list[Appointment]) -> list[AgendaItem]:
    """Agenda lines for appointments: with the service's and the client's names, and the client's zone."""
    if not appointments:
        return []
    services = dict(s.execute(select(Service.id, Service.name).where(
        Service.id.in_({a.service_id for a in appointments}))).all())
    clients = {u.id: u for u in s.scalars(select(User).where(User.id.in_({a.client_id for a in appointments})))}
    business_zone = get_business(s).timezone
    return [AgendaItem(a.id, a.start_at, a.end_at, services.get(a.service_id, "Appointment"),
                       clients[a.client_id].name or f"client #{a.client_id}", a.status, a.client_id,
                       clients[a.client_id].timezone or business_zone) for a in appointments]


def _card(provider: Provider) -> ProviderCard:
    return ProviderCard(provider.id, provider.name, provider.timezone)


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
