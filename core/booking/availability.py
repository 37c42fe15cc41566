"""The availability engine: which starts a provider can still take, as pure functions.

No database and no Redis: callers hand in the schedule, the service's shape, the business
rules and what is already busy; the engine answers with UTC slots. Slots are computed in
the provider's own zone with `zoneinfo`: the grid lives on the wall clock, durations are
absolute, a wall time that does not exist (spring forward) is never offered, and a wall
time that happens twice (fall back) is offered once, at its first occurrence.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from typing import NamedTuple

from core.booking.errors import InvalidRequest

_NO_COUNTS: Mapping[date, int] = MappingProxyType({})
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Interval:
    """A half-open span of absolute time [start, end) between aware datetimes (UTC by convention)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class WallWindow:
    """A span of local wall-clock time in the provider's zone; `end == time(0)` means midnight at the day's end."""

    start: time
    end: time

    def __post_init__(self) -> None:
        # Overnight windows (22:00-02:00) would silently become empty; refuse them where they are made.
        if self.end != time(0) and self.end <= self.start:
            raise InvalidRequest(f"opening time {self.start:%H:%M} must be before closing time {self.end:%H:%M}")


@dataclass(frozen=True)
class Schedule:
    """A provider's working time: weekly hours, breaks, date overrides and time off."""

    timezone: str
    weekly: dict[int, tuple[WallWindow, ...]]
    breaks: dict[int | None, tuple[WallWindow, ...]] = field(default_factory=dict)
    overrides: dict[date, tuple[WallWindow, ...]] = field(default_factory=dict)
    time_off: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class ServiceShape:
    """How long a service takes and the buffers it keeps free around itself."""

    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True)
class Rules:
    """The business's booking rules: notice, horizon, slot grid step and a per-day cap."""

    min_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=60)
    interval: timedelta = timedelta(minutes=15)
    daily_limit: int | None = None


class Slot(NamedTuple):
    """A start a client can book: aware UTC instants, `end = start + duration`. A tuple, not a
    dataclass: a month holds thousands, and a frozen dataclass costs several times as much to make."""

    start: datetime
    end: datetime


def block_of(start: datetime, service: ServiceShape) -> Interval:
    """The interval an appointment starting at `start` occupies including its buffers.

    That is [start - before, start + duration + after): what `busy` holds for booked appointments.
    """
    return Interval(start - service.buffer_before, start + service.duration + service.buffer_after)


def local_day_bounds(day: date, tz: str) -> Interval:
    """UTC interval covering the provider-local calendar day (handles 23h/25h DST days)."""
    zone = _zone(tz)
    midnight = datetime.combine(day, time(0))
    return Interval(_resolve(midnight, zone)[0], _resolve(midnight + _DAY, zone)[0])


def free_slots(schedule: Schedule, service: ServiceShape, rules: Rules, *, start_date: date, end_date: date,
               now: datetime, busy: Sequence[Interval] = (), day_counts: Mapping[date, int] = _NO_COUNTS,
               window: Interval | None = None, limit: int | None = None) -> list[Slot]:
    """Free slots whose provider-local start date lies in [start_date, end_date] (inclusive), sorted by start.

    `busy` holds everything that blocks the provider (other appointments' blocks with their
    buffers, holds, busy resources); `day_counts` the appointments already on each local date.
    `window` keeps only starts in [window.start, window.end) and `limit` only the first `limit`
    slots: the very slots a call without them lists there first, computed without the rest
    (the grid still runs from each opening, so a window never shifts it).
    """
    if now.utcoffset() is None:
        raise InvalidRequest("`now` must be timezone-aware")
    if service.duration <= timedelta(0) or rules.interval <= timedelta(0):
        raise InvalidRequest("service duration and slot interval must be positive")
    zone = _zone(schedule.timezone)
    earliest, latest = now + rules.min_notice, now + rules.horizon
    if window is not None:
        earliest, latest = max(earliest, window.start), min(latest, window.end - _TICK)
    if latest < earliest or (limit is not None and limit <= 0):
        return []
    limits = _Limits(service, rules.interval, earliest, latest, _Taken(busy), _Taken(schedule.time_off))
    # A local date's slots start on that local date (windows end by its midnight), so only the local
    # dates from the earliest start to the latest can hold any: a year-long request with a 60-day
    # horizon does not walk 300 empty days, nor an hour's window three. (This leans on local dates never
    # running backwards: no tzdata transition since 1970 turns the clock back across a midnight.)
    day = max(start_date, limits.earliest.astimezone(zone).date())
    last = min(end_date, limits.latest.astimezone(zone).date())
    slots: list[Slot] = []
    while day <= last:
        if rules.daily_limit is None or day_counts.get(day, 0) < rules.daily_limit:
            spans = _open_spans(schedule, day)
            steady = _steady_offset(day, zone) if spans else None
            for wall_start, wall_end in spans:
                slots.extend(_window_slots(wall_start, wall_end, zone, limits, steady,
                                           None if limit is None else limit - len(slots)))
                if limit is not None and len(slots) >= limit:
                    return slots
        day += _DAY
    # Days ascend, spans within a day ascend and first-occurrence wall->UTC is monotonic,
    # so the list is already sorted by start.
    return slots


def open_time(schedule: Schedule, *, start_date: date, end_date: date) -> list[Interval]:
    """The provider's open time on the local dates [start_date, end_date] (inclusive), as sorted UTC intervals:
    the hours (or a date's override) less breaks, as `free_slots` reads them, and less time off.

    What occupancy is measured against (`core.booking.reports`). A wall time that does not exist
    resolves to the instant the gap ends, so hours that span a spring-forward gap are an hour shorter."""
    zone = _zone(schedule.timezone)
    spans: list[Interval] = []
    day = start_date
    while day <= end_date:
        for wall_start, wall_end in _open_spans(schedule, day):
            start, end = _resolve(wall_start, zone)[0], _resolve(wall_end, zone)[0]
            if end > start:
                spans.append(Interval(start, end))
        day += _DAY
    for off in sorted(schedule.time_off, key=attrgetter("start")):
        spans = [piece for span in spans for piece in (Interval(span.start, min(span.end, off.start)),
                                                       Interval(max(span.start, off.end), span.end))
                 if piece.start < piece.end]
    return spans


class _Taken:
    """Disjoint sorted intervals answering "does [a, b) touch any?" with one bisect."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        for iv in sorted((i for i in intervals if i.end > i.start), key=attrgetter("start")):
            if self.ends and iv.start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], iv.end)
            else:
                self.starts.append(iv.start)
                self.ends.append(iv.end)

    def clash_end(self, a: datetime, b: datetime) -> datetime | None:
        """End of the interval overlapping [a, b), or None when [a, b) is free."""
        if not self.ends:  # the usual case for time off; skip the bisect
            return None
        # Merged intervals have ascending ends, so the first end after `a` is the only candidate.
        i = bisect_right(self.ends, a)
        if i < len(self.starts) and self.starts[i] < b:
            return self.ends[i]
        return None


@dataclass(frozen=True)
class _Limits:
    service: ServiceShape
    step: timedelta
    earliest: datetime
    latest: datetime
    busy: _Taken
    time_off: _Taken

    def blocked_until(self, start: datetime) -> datetime | None:
        """None if `start` is free of busy time and time off, else the earliest start worth trying next."""
        svc = self.service
        end = start + svc.duration
        clash = self.busy.clash_end(start - svc.buffer_before, end + svc.buffer_after)
        if clash is not None:
            return clash + svc.buffer_before
        return self.time_off.clash_end(start, end)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest(f"unknown time zone {tz!r}") from exc


def _open_spans(schedule: Schedule, day: date) -> list[tuple[datetime, datetime]]:
    """The day's opening windows minus its breaks, as sorted disjoint naive wall-clock spans."""
    weekday = day.isoweekday()
    windows = schedule.overrides[day] if day in schedule.overrides else schedule.weekly.get(weekday, ())
    # Overlapping or touching windows merge: 09-12 plus 12-17 means open 09-17, one grid.
    spans: list[tuple[datetime, datetime]] = []
    for start, end in sorted(_wall_span(day, w) for w in windows):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    breaks = (*schedule.breaks.get(None, ()), *schedule.breaks.get(weekday, ()))
    for cut_start, cut_end in (_wall_span(day, b) for b in breaks):
        # Keep what lies before and after the break; the grid restarts where the break ends.
        spans = [piece for start, end in spans
                 for piece in ((start, min(end, cut_start)), (max(start, cut_end), end)) if piece[0] < piece[1]]
    return spans


def _wall_span(day: date, window: WallWindow) -> tuple[datetime, datetime]:
    start = datetime.combine(day, window.start.replace(tzinfo=None, fold=0))
    end = datetime.combine(day + _DAY if window.end == time(0) else day, window.end.replace(tzinfo=None, fold=0))
    return start, end


def _steady_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    """The day's UTC offset when one offset holds from midnight to midnight, else None."""
    # Both folds agree only at a wall time that exists exactly once; with both midnights
    # agreeing as well, no transition falls inside the day (tzdata never has two in a day).
    offsets = {datetime.combine(d, time(0, fold=f), zone).utcoffset() for d in (day, day + _DAY) for f in (0, 1)}
    return offsets.pop() if len(offsets) == 1 else None


def _window_slots(wall_start: datetime, wall_end: datetime, zone: ZoneInfo, limits: _Limits,
                  steady: timedelta | None, room: int | None) -> list[Slot]:
    """The window's slots, the first `room` of them (all when None)."""
    if steady is not None:  # the common day: plain arithmetic, zoneinfo not asked at all
        start, end = (wall_start - steady).replace(tzinfo=UTC), (wall_end - steady).replace(tzinfo=UTC)
        one_offset = True
    else:
        (start, start_exists), (end, _) = _resolve(wall_start, zone), _resolve(wall_end, zone)
        # One offset at both ends means no transition inside, as above, so wall-clock steps
        # are UTC steps; only a window holding the transition is walked candidate by candidate.
        one_offset = start_exists and start.astimezone(zone).utcoffset() == end.astimezone(zone).utcoffset()
    duration = limits.service.duration
    if end - start < duration or end - duration < limits.earliest or start > limits.latest:
        return []
    if one_offset:
        return _grid_slots(start, end, limits, room)
    return _stepped_slots(wall_start, wall_end, start, end, zone, limits, room)


def _grid_slots(origin: datetime, window_end: datetime, limits: _Limits, room: int | None = None) -> list[Slot]:
    """Fast path: step in UTC from the window start, jumping over busy time instead of walking it."""
    duration, step = limits.service.duration, limits.step
    last = min(window_end - duration, limits.latest)
    start = _align_up(origin, max(origin, limits.earliest), step)
    slots = []
    while start <= last:
        retry_at = limits.blocked_until(start)
        if retry_at is None:
            slots.append(Slot(start, start + duration))
            if len(slots) == room:
                break
            start += step
        else:
            # retry_at > start already (a clash ends after the block starts); max() keeps the
            # loop finite even if that ever stops holding.
            start = max(start + step, _align_up(origin, retry_at, step))
    return slots


def _stepped_slots(wall_start: datetime, wall_end: datetime, window_start: datetime, window_end: datetime,
                   zone: ZoneInfo, limits: _Limits, room: int | None = None) -> list[Slot]:
    """Slow path for a window holding a DST transition: convert every wall-clock candidate."""
    duration = limits.service.duration
    slots = []
    wall = wall_start
    while wall < wall_end:
        start, exists = _resolve(wall, zone)
        if (exists and window_start <= start and start + duration <= window_end
                and limits.earliest <= start <= limits.latest and limits.blocked_until(start) is None):
            slots.append(Slot(start, start + duration))
            if len(slots) == room:
                break
        wall += limits.step
    return slots


def _align_up(origin: datetime, at: datetime, step: timedelta) -> datetime:
    """The first grid point origin + k*step that is >= at."""
    return origin - ((origin - at) // step) * step


def _resolve(wall: datetime, zone: ZoneInfo) -> tuple[datetime, bool]:
    """UTC instant of a naive wall time and whether that wall time exists.

    An ambiguous wall time resolves to its first occurrence; one in a spring-forward gap
    resolves to the instant the gap ends (the first existing wall time after it).
    """
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant, True
    # In a gap fold=0 and fold=1 apply the offsets either side, so the transition lies
    # between the two readings; find the first second carrying the later offset.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(instant, other), max(instant, other)
    after = hi.astimezone(zone).utcoffset()
    low, high = 0, int((hi - lo).total_seconds())
    while low < high:
        mid = (low + high) // 2
        if (lo + timedelta(seconds=mid)).astimezone(zone).utcoffset() == after:
            high = mid
        else:
            low = mid + 1
    return lo + timedelta(seconds=low), False
