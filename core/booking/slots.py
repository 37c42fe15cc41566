"""Finding free slots and checking that one asked-for start is still bookable.

Both read the same inputs (schedule, rules, appointments, resources, holds) and hand them to
the pure engine in `availability`, so "offered" and "bookable" can never disagree. (A check
just before an INSERT may leave overlaps with other appointments to the database's guard,
which refuses exactly those: see `SlotFinder.check`.)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Callable, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.booking import errors
from core.booking.availability import Interval, Rules, Schedule, free_slots
from core.booking.commands import FindSlots
from core.booking.coordination import Coordination
from core.booking.schedules import (
    BookingTerms, ScheduleCache, appointments_of, terms_of, provider_appointments, read_terms, resource_busy,
    utc_range,
)
from core.db.models import Service


class FreeSlot(NamedTuple):
    """A start one provider can take. A tuple, not a dataclass: a month holds thousands of them."""

    provider_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Inputs:
    schedule: Schedule
    rules: Rules
    appointments: list[Interval]
    resources: list[Interval]
    holds: list[Interval]
    day_counts: Counter


class SlotFinder:
    def __init__(self, coordination: Coordination, clock: Callable[[], datetime], cache: ScheduleCache | None = None):
        self.coordination = coordination
        self.clock = clock
        self.cache = cache or ScheduleCache()

    def find(self, session: Session, cmd: FindSlots) -> list[FreeSlot]:
        """Free slots for a service with one provider, or with any provider who offers it."""
        if cmd.end_date < cmd.start_date:
            raise errors.InvalidRequest("the end date is before the start date")
        if (cmd.end_date - cmd.start_date).days > 92:
            raise errors.InvalidRequest("ask for at most 92 days of availability at a time")
        if cmd.provider_id is not None:
            terms = read_terms(session, cmd.provider_id, cmd.service_id)
            if terms is None:
                require_service(session, cmd.service_id)  # a missing service is named first
            all_terms = [require_terms(terms, cmd.provider_id, cmd.service_id)]
        else:
            all_terms = terms_of(session, cmd.service_id)
            if not all_terms or not all_terms[0].service_active:
                require_service(session, cmd.service_id)
                return []
        return self._free(session, all_terms, cmd, self.clock())

    def _free(self, session: Session, all_terms: list[BookingTerms], cmd: FindSlots, now: datetime) -> list[FreeSlot]:
        """Every provider's free slots from one pass over set-based reads: their schedules (cached per process),
        one query for all their appointments, one for the service's rooms, one Redis round trip for holds."""
        window = _window(cmd)
        ids = [terms.provider_id for terms in all_terms]
        range_start, range_end = _read_range(all_terms, cmd, window)
        schedules = self.cache.get_many(session, all_terms)
        rows = appointments_of(session, ids, range_start, range_end, cmd.exclude_appointment_id)
        # A service's rooms are the service's, so the same for every provider who offers it.
        resources = resource_busy(session, all_terms[0].resource_ids, range_start, range_end,
                                  cmd.exclude_appointment_id)
        holds = self.coordination.held_by_others_of(ids, _holder(cmd.holder), now)
        offered: list[FreeSlot] = []
        for terms in all_terms:
            mine = rows.get(terms.provider_id, ())
            busy = [Interval(bs, be) for bs, be, _ in mine] + resources + [
                Interval(s, e) for s, e in holds.get(terms.provider_id, ()) if s < range_end and e > range_start]
            counts = _NO_COUNTS
            if terms.rules.daily_limit is not None:
                zone = ZoneInfo(terms.timezone)
                counts = Counter(start.astimezone(zone).date() for _, _, start in mine)
            pid = terms.provider_id
            offered.extend(FreeSlot(pid, s.start, s.end) for s in free_slots(
                schedules[pid], terms.shape, terms.rules, start_date=cmd.start_date, end_date=cmd.end_date,
                now=now, busy=busy, day_counts=counts, window=window, limit=cmd.limit))
        if len(all_terms) > 1:  # each provider's slots come sorted already
            offered.sort(key=_by_start_then_provider)
        return offered

    def check(self, session: Session, terms: BookingTerms, start: datetime, holder: str | None,
              exclude_appointment_id: int | None = None, holds: list[tuple[datetime, datetime]] | None = None,
              *, inserting: bool = False) -> None:
        """Raise the typed reason why `start` cannot be booked now, or return when it can.

        `holds`: other clients' holds if already read (with the provider lock), else read here.
        `inserting`: the caller INSERTs the appointment next, behind the database's overlap guard
        (see alembic), which refuses exactly the overlaps the day's appointments would show. So
        unless a daily limit needs them counted they are not read first; an overlap then comes
        back from the INSERT, as `SlotTaken` or `ResourceBusy`."""
        now = self.clock()
        rules = terms.rules
        if start < now + rules.min_notice:
            raise errors.TooSoon(_too_soon_message(rules, start, now))
        if start > now + rules.horizon:
            raise errors.TooFarAhead(f"bookings open at most {rules.horizon.days} days ahead")
        day = start.astimezone(ZoneInfo(terms.timezone)).date()
        if holds is None:
            holds = self.coordination.held_by_others(terms.provider_id, holder, now)
        if inserting and rules.daily_limit is None and _offers_start(
                self.cache.get(session, terms), terms, rules, day, start, now, [Interval(s, e) for s, e in holds]):
            return
        _refuse_unless_free(self._inputs(session, terms, day, day, exclude_appointment_id, holds),
                            terms, day, start, now)

    def _inputs(self, session: Session, terms: BookingTerms, start_date: date, end_date: date,
                exclude_appointment_id: int | None, holds: list[tuple[datetime, datetime]]) -> _Inputs:
        zone = ZoneInfo(terms.timezone)
        range_start, range_end = utc_range(start_date, end_date, terms.timezone)
        rows = provider_appointments(session, terms.provider_id, range_start, range_end, exclude_appointment_id)
        return _Inputs(
            schedule=self.cache.get(session, terms),
            rules=terms.rules,
            appointments=[Interval(bs, be) for bs, be, _ in rows],
            resources=resource_busy(session, terms.resource_ids, range_start, range_end, exclude_appointment_id),
            holds=[Interval(s, e) for s, e in holds if s < range_end and e > range_start],
            day_counts=Counter(start.astimezone(zone).date() for _, _, start in rows),
        )


_NO_COUNTS: Counter = Counter()


def _by_start_then_provider(slot: FreeSlot) -> tuple[datetime, int]:
    return slot.start, slot.provider_id


def _window(cmd: FindSlots) -> Interval | None:
    if cmd.not_before is None and cmd.before is None:
        return None
    return Interval(cmd.not_before or datetime.min.replace(tzinfo=UTC), cmd.before or datetime.max.replace(tzinfo=UTC))


def _read_range(all_terms: list[BookingTerms], cmd: FindSlots, window: Interval | None) -> tuple[datetime, datetime]:
    """The UTC span whose appointments and holds can matter: the asked local dates in every provider's zone,
    narrowed to the window (with the service's length and buffers around it) unless a daily limit must
    count whole days."""
    spans = [utc_range(cmd.start_date, cmd.end_date, tz) for tz in {terms.timezone for terms in all_terms}]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    if window is not None and all(terms.rules.daily_limit is None for terms in all_terms):
        shape = all_terms[0].shape
        reach = shape.buffer_before + shape.duration + shape.buffer_after  # how far a block can touch a start
        if cmd.not_before is not None:
            start = max(start, cmd.not_before - reach)
        if cmd.before is not None:
            end = max(start, min(end, cmd.before + reach))
    return start, end


def _offers_start(schedule: Schedule, terms: BookingTerms, rules: Rules, day: date, start: datetime, now: datetime,
                  busy: list[Interval], counts: Counter | None = None) -> bool:
    """Whether the engine offers exactly `start` on its provider-local `day`."""
    slots = free_slots(schedule, terms.shape, rules, start_date=day, end_date=day, now=now, busy=busy,
                       day_counts=counts or Counter())
    return any(s.start == start for s in slots)


def _refuse_unless_free(data: _Inputs, terms: BookingTerms, day: date, start: datetime, now: datetime) -> None:
    """Return if `start` is free of everything; else raise the most useful reason, the most basic first."""
    def offered(busy: list[Interval], rules: Rules = data.rules, counts: Counter = data.day_counts) -> bool:
        return _offers_start(data.schedule, terms, rules, day, start, now, busy, counts)

    if offered(data.appointments + data.resources + data.holds):
        return
    provider, service = terms.provider_name, terms.service_name
    if not offered([], replace(data.rules, daily_limit=None), Counter()):
        raise errors.OutsideHours(f"{provider} does not take {service} bookings at that time")
    if not offered([]):
        raise errors.DailyLimitReached(f"{provider} is fully booked that day")
    if not offered(data.appointments):
        raise errors.SlotTaken("that time has just been booked by someone else")
    if not offered(data.appointments + data.resources):
        raise errors.ResourceBusy("the room or equipment this service needs is in use then")
    raise errors.SlotHeld("someone else is confirming that time right now")


def require_terms(terms: BookingTerms | None, provider_id: int, service_id: int, *, client_id: int | None = None,
                  offered: bool = True) -> BookingTerms:
    """The terms, or the first thing wrong with them: no provider, no service, (if given) no client, not offered."""
    if terms is None:
        raise errors.NotFound(f"provider {provider_id} not found")
    if terms.service_id is None or not terms.service_active:
        raise errors.NotFound(f"service {service_id} not found")
    if client_id is not None and not terms.client_known:
        raise errors.NotFound(f"client {client_id} not found")
    if offered and not terms.offered:
        raise errors.InvalidRequest(f"{terms.provider_name} does not offer {terms.service_name}")
    return terms


def require_service(session: Session, service_id: int) -> None:
    service = session.get(Service, service_id)
    if service is None or not service.active:
        raise errors.NotFound(f"service {service_id} not found")


def _too_soon_message(rules: Rules, start: datetime, now: datetime) -> str:
    if start <= now:
        return "that time has already passed"
    minutes = int(rules.min_notice.total_seconds() // 60)
    notice = f"{minutes // 60} hours" if minutes % 60 == 0 and minutes >= 120 else f"{minutes} minutes"
    return f"bookings need at least {notice}' notice"


def _holder(value: str | int | None) -> str | None:
    return None if value is None else str(value)
