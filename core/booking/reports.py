"""Reports for the business: per provider and per service over a period, and when bookings fall.

A period is a run of whole dates [first, last] in the business's zone. What counts:

- bookings: appointments starting in the period that still stand or took place (pending,
  confirmed, completed, no-show); booked hours are their length (without buffers);
- occupancy: booked minutes over the provider's open minutes on those dates (their weekly
  hours or a date's override, less breaks and time off: `availability.open_time`, the same
  notion of open time slots are offered from);
- cancellations (and of them the late ones, inside the cancellation window) and no-shows;
- revenue: the service's price for each appointment completed, or confirmed and already over
  (not marked either way yet); not for no-shows, cancellations, pending requests or ones to
  come. Prices are the services' prices now: an appointment keeps no price of its own;
- unmet waiting-list demand: entries whose window ended in the period, by now, and that
  were never booked (still waiting, offered, or expired; not those who left the list).

Counting is done by the database (grouped, conditional sums), not row by row in Python.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, extract, func, literal, or_, select
from sqlalchemy.orm import Session, sessionmaker

from core.booking.availability import local_day_bounds, open_time
from core.booking.errors import InvalidRequest
from core.booking.schedules import get_business, load_schedule
from core.db.models import Appointment, Provider, Service, WaitlistEntry
from core.db.session import UnitOfWork

MAX_DAYS = 366  # one report covers a year at most
DEFAULT_DAYS = 30
KEPT = ("pending", "confirmed", "completed", "no_show")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Figures:
    """One row of the summary (a provider, a service, or everything)."""

    bookings: int = 0
    booked_minutes: int = 0
    cancellations: int = 0
    late_cancellations: int = 0
    no_shows: int = 0
    revenue: Decimal = Decimal("0.00")
    unmet_waitlist: int = 0
    open_minutes: int | None = None  # providers and the total only

    @property
    def occupancy(self) -> float | None:
        """Booked over open minutes, 0..1 (more when booked beyond the hours); None without open time."""
        if not self.open_minutes:
            return None
        return round(self.booked_minutes / self.open_minutes, 4)

    def add(self, other: Figures) -> None:
        for name in ("bookings", "booked_minutes", "cancellations", "late_cancellations", "no_shows", "revenue",
                     "unmet_waitlist"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Named:
    id: int
    name: str
    figures: Figures


@dataclass
class Summary:
    first: date
    last: date
    timezone: str
    currency: str | None
    providers: list[Named]
    services: list[Named]
    total: Figures
    unmet_any_provider: int = 0  # waiting-list entries that named no provider


@dataclass
class Heatmap:
    first: date
    last: date
    timezone: str
    counts: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in WEEKDAYS])  # [weekday-1][hour]

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))


class Reports:
    """The reports over the database, for the REST API, the CLI and the weekly summary."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime]):
        self._session_factory, self._clock = session_factory, clock

    def period(self, first: date | None = None, last: date | None = None) -> tuple[date, date]:
        """`period` with today taken in the business's zone."""
        with UnitOfWork(self._session_factory) as uow:
            zone = get_business(uow.session).timezone
        return period(first, last, today=self._clock().astimezone(ZoneInfo(zone)).date())

    def summary(self, first: date | None = None, last: date | None = None, *, zone: str | None = None,
                provider_id: int | None = None) -> Summary:
        """`zone`: whose dates [first, last] are (the business's by default); `provider_id`: that one only."""
        first, last = self.period(first, last)
        with UnitOfWork(self._session_factory) as uow:
            return summary(uow.session, first, last, now=self._clock(), zone=zone, provider_id=provider_id)

    def heatmap(self, first: date | None = None, last: date | None = None) -> Heatmap:
        first, last = self.period(first, last)
        with UnitOfWork(self._session_factory) as uow:
            return heatmap(uow.session, first, last)


def period(first: date | None, last: date | None, *, today: date) -> tuple[date, date]:
    """The dates asked for: by default the last 30 days up to today. Refuses a reversed or overlong one."""
    last = last or (first + timedelta(days=DEFAULT_DAYS - 1) if first else today)
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidRequest("`from` must not be after `to`")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidRequest(f"a report covers at most {MAX_DAYS} days")
    return first, last


def summary(s: Session, first: date, last: date, *, now: datetime, zone: str | None = None,
            provider_id: int | None = None) -> Summary:
    business = get_business(s)
    zone = zone or business.timezone
    start, end = _bounds(first, last, zone)
    only = [provider_id] if provider_id is not None else None  # one provider's figures (the weekly summary)
    grouped = _grouped(start, end, now, s.get_bind().dialect.name)
    groups = s.execute(grouped.where(Appointment.provider_id.in_(only)) if only else grouped).all()
    by_provider: dict[int, Figures] = defaultdict(Figures)
    by_service: dict[int, Figures] = defaultdict(Figures)
    total = Figures()
    for row in groups:
        figures = Figures(int(row.bookings or 0), int(round(row.booked_minutes or 0)), int(row.cancellations or 0),
                          int(row.late or 0), int(row.no_shows or 0),
                          Decimal(row.revenue or 0).quantize(Decimal("0.01")))
        by_provider[row.provider_id].add(figures)
        by_service[row.service_id].add(figures)
        total.add(figures)
    unmet_any = _unmet_waitlist(s, start, end, now, by_provider, by_service, total, only)
    providers = s.execute(select(Provider.id, Provider.name, Provider.timezone)
                          .where(Provider.id.in_(only) if only else
                                 or_(Provider.active.is_(True), Provider.id.in_(list(by_provider))))
                          .order_by(Provider.id)).all()
    total.open_minutes = 0
    for provider in providers:
        schedule = load_schedule(s, provider.id, provider.timezone)
        minutes = sum((i.end - i.start for i in open_time(schedule, start_date=first, end_date=last)), timedelta())
        by_provider[provider.id].open_minutes = int(minutes.total_seconds() // 60)
        total.open_minutes += by_provider[provider.id].open_minutes
    services = s.execute(select(Service.id, Service.name)
                         .where(or_(Service.active.is_(True), Service.id.in_(list(by_service))))
                         .order_by(Service.id)).all()
    return Summary(first, last, zone, business.currency,
                   [Named(p.id, p.name, by_provider[p.id]) for p in providers],
                   [Named(sv.id, sv.name, by_service[sv.id]) for sv in services], total, unmet_any)


def heatmap(s: Session, first: date, last: date) -> Heatmap:
    """Bookings (as in `summary`) by weekday and hour of their start on the business's wall clock.

    SQL groups by weekday and hour in UTC shifted by the zone's offset; a period that holds a
    DST change is counted in pieces, one per offset, so each booking falls in its local hour."""
    business = get_business(s)
    start, end = _bounds(first, last, business.timezone)
    result = Heatmap(first, last, business.timezone)
    dialect = s.get_bind().dialect.name
    for piece_start, piece_end, offset in _offset_pieces(start, end, ZoneInfo(business.timezone)):
        weekday, hour = _local_weekday_hour(Appointment.start_at, offset, dialect)
        rows = s.execute(select(weekday, hour, func.count())
                         .where(Appointment.status.in_(KEPT), Appointment.start_at >= piece_start,
                                Appointment.start_at < piece_end)
                         .group_by(weekday, hour))
        for day, at, count in rows:
            result.counts[int(day) - 1][int(at)] += count
    return result


def _bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    return local_day_bounds(first, zone).start, local_day_bounds(last, zone).end


def _minutes(start, end, dialect: str):
    """Minutes between two UTC timestamp columns, in SQL."""
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 1440.0
    return extract("epoch", end - start) / 60.0


def _grouped(start: datetime, end: datetime, now: datetime, dialect: str):
    kept = Appointment.status.in_(KEPT)
    cancelled = Appointment.status == "cancelled"
    earned = or_(Appointment.status == "completed", and_(Appointment.status == "confirmed", Appointment.end_at <= now))
    one = literal(1)
    return (select(Appointment.provider_id, Appointment.service_id,
                   func.sum(case((kept, one), else_=0)).label("bookings"),
                   func.sum(case((kept, _minutes(Appointment.start_at, Appointment.end_at, dialect)), else_=0))
                   .label("booked_minutes"),
                   func.sum(case((cancelled, one), else_=0)).label("cancellations"),
                   func.sum(case((and_(cancelled, Appointment.late_cancellation.is_(True)), one), else_=0))
                   .label("late"),
                   func.sum(case((Appointment.status == "no_show", one), else_=0)).label("no_shows"),
                   func.sum(case((earned, func.coalesce(Service.price, 0)), else_=0)).label("revenue"))
            .join(Service, Service.id == Appointment.service_id)
            .where(Appointment.start_at >= start, Appointment.start_at < end)
            .group_by(Appointment.provider_id, Appointment.service_id))


def _unmet_waitlist(s: Session, start: datetime, end: datetime, now: datetime, by_provider: dict[int, Figures],
                    by_service: dict[int, Figures], total: Figures, only: list[int] | None = None) -> int:
    """Adds the unmet entries to each figure; returns those that named no provider."""
    query = (select(WaitlistEntry.provider_id, WaitlistEntry.service_id, func.count())
             .where(WaitlistEntry.status.in_(("waiting", "offered", "expired")),
                    WaitlistEntry.window_end > start, WaitlistEntry.window_end <= min(end, now))
             .group_by(WaitlistEntry.provider_id, WaitlistEntry.service_id))
    rows = s.execute(query.where(WaitlistEntry.provider_id.in_(only)) if only else query)
    anyone = 0
    for provider_id, service_id, count in rows:
        if provider_id is None:
            anyone += count
        else:
            by_provider[provider_id].unmet_waitlist += count
        by_service[service_id].unmet_waitlist += count
        total.unmet_waitlist += count
    return anyone


def _offset_pieces(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, datetime, timedelta]]:
    """[start, end) cut where the zone's UTC offset changes (tzdata changes offsets on whole UTC hours)."""
    pieces: list[tuple[datetime, datetime, timedelta]] = []
    at = start
    while at < end:
        offset = at.astimezone(zone).utcoffset()
        step = at + timedelta(hours=1)
        while step < end and step.astimezone(zone).utcoffset() == offset:
            step += timedelta(hours=1)
        pieces.append((at, min(step, end), offset))
        at = step
    return pieces


def _local_weekday_hour(column, offset: timedelta, dialect: str):
    """ISO weekday (1 = Monday) and hour of `column` shifted by a fixed `offset`, in SQL."""
    minutes = int(offset.total_seconds() // 60)
    if dialect == "sqlite":
        shifted = (column, f"{minutes:+d} minutes")
        weekday = (cast(func.strftime("%w", *shifted), Integer) + 6) % 7 + 1  # %w: 0 = Sunday
        return weekday.label("weekday"), cast(func.strftime("%H", *shifted), Integer).label("hour")
    shifted = func.timezone("UTC", column) + timedelta(minutes=minutes)
    return (cast(extract("isodow", shifted), Integer).label("weekday"),
            cast(extract("hour", shifted), Integer).label("hour"))

