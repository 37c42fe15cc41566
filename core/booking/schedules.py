"""The booking core's reads: what decisions and the availability engine need (the writes are `appointments`).

What a decision needs about its provider, service and business (the provider's zone and
daily limit, the service's shape and rooms, who offers what, the rules) is read as one
`BookingTerms` in one query, on every call: one round trip, and nothing in it can be stale.

A provider's schedule (hours, breaks, overrides, time off) changes rarely and is read on
every availability query, so it is cached per process and keyed by the provider's
`schedule_version`, which every change bumps and which each `BookingTerms` carries.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, bindparam, case, cast, exists, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking.availability import Interval, Rules, Schedule, ServiceShape, WallWindow
from core.db.models import (
    Appointment, AppointmentResource, AuditEntry, Break, Business, DateOverride, Provider, Service, TimeOff, User,
    WeeklyHours, provider_services, service_resources,
)
from core.db.session import UnitOfWork

# The rules in force before a business file sets its own.
DEFAULT_RULES = dict(min_notice_minutes=60, horizon_days=60, slot_interval_minutes=15, cancellation_window_hours=24,
                     hold_minutes=5)


def _shape(duration: int, before: int | None, after: int | None) -> ServiceShape:
    return ServiceShape(duration=timedelta(minutes=duration), buffer_before=timedelta(minutes=before or 0),
                        buffer_after=timedelta(minutes=after or 0))


def get_business(session: Session) -> Business:
    """The business row, or the defaults when none has been loaded yet."""
    business = session.get(Business, 1)
    if business is None:
        business = Business(id=1, name="Slotline", timezone="UTC", confirm_sms_cancel=True, **DEFAULT_RULES)
    return business


def business_name(session_factory: sessionmaker[Session]) -> str:
    """The business's name as clients see it (a read of its own)."""
    with UnitOfWork(session_factory) as uow:
        return get_business(uow.session).name


def bump_schedule(session: Session, provider_id: int) -> None:
    """Call after changing a provider's hours, breaks, overrides or time off."""
    session.execute(update(Provider).where(Provider.id == provider_id)
                    .values(schedule_version=Provider.schedule_version + 1))
    bump_catalogue(session)


def bump_catalogue(session: Session) -> None:
    """Call after changing what the assistant offers (services, providers, hours, time off, rules):
    every process's cached catalogue reads the version, so each sees the change on its next turn."""
    bumped = session.execute(update(Business).where(Business.id == 1)
                             .values(catalogue_version=Business.catalogue_version + 1))
    if bumped.rowcount:
        return
    # No business row yet: make the one `get_business` stands in for, so the version has a home.
    try:
        with session.begin_nested():
            session.add(Business(id=1, name="Slotline", timezone="UTC", confirm_sms_cancel=True,
                                 catalogue_version=2, **DEFAULT_RULES))
    except IntegrityError:  # another transaction made it first
        session.execute(update(Business).where(Business.id == 1)
                        .values(catalogue_version=Business.catalogue_version + 1))


def catalogue_version(session: Session) -> int | None:
    """The catalogue's version (None before anything was set up): one read by primary key."""
    return session.scalar(select(Business.catalogue_version).where(Business.id == 1))


@dataclass(frozen=True)
class BookingTerms:
    """A provider and a service as a booking decision sees them, with the business's rules.

    `service_*` and `shape` are None when no such service exists; `client_known` and
    `booked_id` answer for the client and idempotency key given to `read_terms`."""

    provider_id: int
    provider_name: str
    timezone: str
    schedule_version: int
    service_id: int | None
    service_name: str | None
    service_active: bool
    shape: ServiceShape | None
    resource_ids: tuple[int, ...]
    offered: bool
    rules: Rules
    hold_minutes: int
    client_known: bool
    booked_id: int | None  # the appointment already booked under the idempotency key
    max_future_bookings: int | None = None  # the business's cap per client (None: none)
    client_upcoming: int = 0  # the client's bookings still to come, when the cap needs them counted
    needs_approval: bool = False  # a booking of the service is a request the provider approves
    approval_expiry_hours: int = 24  # how long such a request waits for an answer
    no_show_limit: int | None = None  # no-shows after which a client books only through the business
    client_no_shows: int = 0  # the client's no-shows, when the rule needs them counted


_providers, _services, _business = Provider.__table__, Service.__table__, Business.__table__
_appointments, _used, _audit_log = Appointment.__table__, AppointmentResource.__table__, AuditEntry.__table__
_offers = exists().where(provider_services.c.provider_id == _providers.c.id,
                         provider_services.c.service_id == _services.c.id)
# providers LEFT JOIN services LEFT JOIN business, plus what else a decision asks, as columns.
# Statements are built once: SQLAlchemy then finds their compiled form by a memoised cache key.
_TERMS = (
    select(_providers.c.id, _providers.c.name, _providers.c.timezone, _providers.c.daily_limit,
           _providers.c.schedule_version, _services.c.id.label("service_id"), _services.c.name.label("service_name"),
           _services.c.active.label("service_active"), _services.c.duration_minutes,
           _services.c.buffer_before_minutes, _services.c.buffer_after_minutes,
           _business.c.min_notice_minutes, _business.c.horizon_days, _business.c.slot_interval_minutes,
           _business.c.hold_minutes, _offers.label("offered"),
           select(func.aggregate_strings(cast(service_resources.c.resource_id, String), ","))
           .where(service_resources.c.service_id == _services.c.id).scalar_subquery().label("resource_ids"),
           exists().where(User.__table__.c.id == bindparam("client_id")).label("client_known"),
           _business.c.max_future_bookings,
           # Counted only under a cap, and by the (client_id, start_at) index.
           case((_business.c.max_future_bookings.is_(None), 0), else_=select(func.count()).where(
               _appointments.c.client_id == bindparam("client_id"), _appointments.c.start_at > bindparam("now"),
               _appointments.c.status.in_(("pending", "confirmed"))).scalar_subquery()).label("client_upcoming"),
           select(_appointments.c.id).where(_appointments.c.idempotency_key == bindparam("key"))
           .scalar_subquery().label("booked_id"),
           _services.c.needs_approval, _business.c.approval_expiry_hours, _business.c.no_show_limit,
           # Counted only under the no-show rule, by the (client_id, start_at) index.
           case((_business.c.no_show_limit.is_(None), 0), else_=select(func.count()).where(
               _appointments.c.client_id == bindparam("client_id"), _appointments.c.status == "no_show")
               .scalar_subquery()).label("client_no_shows"))
    .select_from(_providers.outerjoin(_services, _services.c.id == bindparam("service_id"))
                 .outerjoin(_business, _business.c.id == 1))
    .where(_providers.c.active.is_(True))
)
_ONE_TERMS = _TERMS.where(_providers.c.id == bindparam("provider_id"))
# On PostgreSQL the row lock serialises one provider's bookings in the database too (daily limits).
_ONE_TERMS_LOCKED = _ONE_TERMS.with_for_update(of=_providers)
_EVERY_TERMS = _TERMS.where(_offers).order_by(_providers.c.id)


def read_terms(session: Session, provider_id: int, service_id: int, *, client_id: int | None = None,
               key: str | None = None, lock: bool = False, now: datetime | None = None) -> BookingTerms | None:
    """The active provider with the service (locking the provider's row if asked), or None.

    `now` counts the client's upcoming bookings against the business's cap, if it has one."""
    row = session.execute(_ONE_TERMS_LOCKED if lock else _ONE_TERMS, dict(
        provider_id=provider_id, service_id=service_id, client_id=client_id, key=key, now=now)).first()
    return None if row is None else _terms(row)


def terms_of(session: Session, service_id: int) -> list[BookingTerms]:
    """Every active provider who offers the service, by id."""
    rows = session.execute(_EVERY_TERMS, dict(service_id=service_id, client_id=None, key=None, now=None))
    return [_terms(row) for row in rows]


def _terms(row: Row) -> BookingTerms:
    rules = DEFAULT_RULES if row.min_notice_minutes is None else row._mapping  # no business row: the defaults
    return BookingTerms(
        provider_id=row.id, provider_name=row.name, timezone=row.timezone, schedule_version=row.schedule_version,
        service_id=row.service_id, service_name=row.service_name, service_active=bool(row.service_active),
        shape=None if row.service_id is None else _shape(
            row.duration_minutes, row.buffer_before_minutes, row.buffer_after_minutes),
        resource_ids=tuple(int(r) for r in row.resource_ids.split(",")) if row.resource_ids else (),
        offered=bool(row.offered), hold_minutes=rules["hold_minutes"], client_known=bool(row.client_known),
        booked_id=row.booked_id, max_future_bookings=row.max_future_bookings,
        client_upcoming=int(row.client_upcoming or 0), needs_approval=bool(row.needs_approval),
        approval_expiry_hours=row.approval_expiry_hours or 24, no_show_limit=row.no_show_limit,
        client_no_shows=int(row.client_no_shows or 0),
        rules=Rules(min_notice=timedelta(minutes=rules["min_notice_minutes"]),
                    horizon=timedelta(days=rules["horizon_days"]),
                    interval=timedelta(minutes=rules["slot_interval_minutes"]), daily_limit=row.daily_limit),
    )


class ScheduleCache:
    """Per-process cache of provider schedules, invalidated by `schedule_version`."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[int, Schedule]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, terms: BookingTerms) -> Schedule:
        return self.get_many(session, [terms])[terms.provider_id]

    def get_many(self, session: Session, all_terms: list[BookingTerms]) -> dict[int, Schedule]:
        """Each provider's schedule by id; those not cached at their version read together (`load_schedules`)."""
        found: dict[int, Schedule] = {}
        missing: dict[int, BookingTerms] = {}
        for terms in all_terms:
            hit = self._cache.get(terms.provider_id)
            if hit is not None and hit[0] == terms.schedule_version:
                found[terms.provider_id] = hit[1]
            else:
                missing[terms.provider_id] = terms
        if missing:
            loaded = load_schedules(session, {pid: terms.timezone for pid, terms in missing.items()})
            with self._lock:
                for pid, schedule in loaded.items():
                    self._cache[pid] = (missing[pid].schedule_version, schedule)
            found.update(loaded)
        return found


def load_schedule(session: Session, provider_id: int, tz: str) -> Schedule:
    return load_schedules(session, {provider_id: tz})[provider_id]


def load_schedules(session: Session, zones: dict[int, str]) -> dict[int, Schedule]:
    """The schedules of the providers in `zones` (id -> IANA zone): four queries however many providers."""
    ids = list(zones)
    weekly: dict[int, dict[int, list[WallWindow]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(select(WeeklyHours.provider_id, WeeklyHours.day_of_week, WeeklyHours.start_time,
                                      WeeklyHours.end_time).where(WeeklyHours.provider_id.in_(ids))
                               .order_by(WeeklyHours.provider_id, WeeklyHours.start_time)):
        weekly[row.provider_id][row.day_of_week].append(WallWindow(row.start_time, row.end_time))
    breaks: dict[int, dict[int | None, list[WallWindow]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(select(Break.provider_id, Break.day_of_week, Break.start_time, Break.end_time)
                               .where(Break.provider_id.in_(ids)).order_by(Break.provider_id, Break.id)):
        breaks[row.provider_id][row.day_of_week].append(WallWindow(row.start_time, row.end_time))
    overrides: dict[int, dict[date, list[WallWindow]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(select(DateOverride.provider_id, DateOverride.date, DateOverride.start_time,
                                      DateOverride.end_time).where(DateOverride.provider_id.in_(ids))
                               .order_by(DateOverride.provider_id, DateOverride.start_time)):
        windows = overrides[row.provider_id][row.date]  # a date with no window is closed: keep it, empty
        if row.start_time is not None and row.end_time is not None:
            windows.append(WallWindow(row.start_time, row.end_time))
    time_off: dict[int, list[Interval]] = defaultdict(list)
    for row in session.execute(select(TimeOff.provider_id, TimeOff.start_at, TimeOff.end_at)
                               .where(TimeOff.provider_id.in_(ids)).order_by(TimeOff.provider_id, TimeOff.start_at)):
        time_off[row.provider_id].append(Interval(row.start_at, row.end_at))
    return {pid: Schedule(
        timezone=tz,
        weekly={k: tuple(v) for k, v in weekly[pid].items()},
        breaks={k: tuple(v) for k, v in breaks[pid].items()},
        overrides={k: tuple(v) for k, v in overrides[pid].items()},
        time_off=tuple(time_off[pid]),
    ) for pid, tz in zones.items()}


def utc_range(start_date: date, end_date: date, tz: str) -> tuple[datetime, datetime]:
    """UTC instants bounding the provider-local dates [start_date, end_date], with a day of margin."""
    zone = ZoneInfo(tz)
    start = datetime.combine(start_date - timedelta(days=1), datetime.min.time(), zone)
    end = datetime.combine(end_date + timedelta(days=2), datetime.min.time(), zone)
    return start, end


_BLOCKS = (select(_appointments.c.block_start, _appointments.c.block_end, _appointments.c.start_at)
           .where(_appointments.c.provider_id == bindparam("provider_id"), _appointments.c.status != "cancelled",
                  _appointments.c.block_start < bindparam("end"), _appointments.c.block_end > bindparam("start")))
_BLOCKS_BUT_ONE = _BLOCKS.where(_appointments.c.id != bindparam("exclude_id"))
_RESOURCE_BLOCKS = (select(_used.c.block_start, _used.c.block_end)
                    .where(_used.c.resource_id.in_(bindparam("resource_ids", expanding=True)), _used.c.active.is_(True),
                           _used.c.block_start < bindparam("end"), _used.c.block_end > bindparam("start")))
_RESOURCE_BLOCKS_BUT_ONE = _RESOURCE_BLOCKS.where(_used.c.appointment_id != bindparam("exclude_id"))


def provider_appointments(session: Session, provider_id: int, start: datetime, end: datetime,
                          exclude_id: int | None = None) -> list[tuple[datetime, datetime, datetime]]:
    """(block_start, block_end, start_at) of the provider's time-holding appointments in the range."""
    query = _BLOCKS if exclude_id is None else _BLOCKS_BUT_ONE
    return session.execute(query, dict(provider_id=provider_id, start=start, end=end, exclude_id=exclude_id)).all()


_MANY_BLOCKS = (select(_appointments.c.provider_id, _appointments.c.block_start, _appointments.c.block_end,
                       _appointments.c.start_at)
                .where(_appointments.c.provider_id.in_(bindparam("provider_ids", expanding=True)),
                       _appointments.c.status != "cancelled",
                       _appointments.c.block_start < bindparam("end"), _appointments.c.block_end > bindparam("start")))
_MANY_BLOCKS_BUT_ONE = _MANY_BLOCKS.where(_appointments.c.id != bindparam("exclude_id"))


def appointments_of(session: Session, provider_ids: list[int], start: datetime, end: datetime,
                    exclude_id: int | None = None) -> dict[int, list[tuple[datetime, datetime, datetime]]]:
    """`provider_appointments` for many providers in one query: (block_start, block_end, start_at) by provider."""
    found: dict[int, list[tuple[datetime, datetime, datetime]]] = defaultdict(list)
    query = _MANY_BLOCKS if exclude_id is None else _MANY_BLOCKS_BUT_ONE
    for pid, block_start, block_end, start_at in session.execute(query, dict(
            provider_ids=provider_ids, start=start, end=end, exclude_id=exclude_id)):
        found[pid].append((block_start, block_end, start_at))
    return found


def resource_busy(session: Session, resource_ids: list[int] | tuple[int, ...], start: datetime, end: datetime,
                  exclude_appointment_id: int | None = None) -> list[Interval]:
    if not resource_ids:
        return []
    query = _RESOURCE_BLOCKS if exclude_appointment_id is None else _RESOURCE_BLOCKS_BUT_ONE
    rows = session.execute(query, dict(resource_ids=list(resource_ids), start=start, end=end,
                                       exclude_id=exclude_appointment_id))
    return [Interval(s, e) for s, e in rows]
