"""The availability engine, judged by what a client would see: which local times are offered."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.booking.availability import (
    Interval, Rules, Schedule, ServiceShape, Slot, WallWindow, block_of, free_slots, local_day_bounds,
)
from core.booking.errors import InvalidRequest

MONDAY = date(2026, 3, 2)


def mins(n: int) -> timedelta:
    return timedelta(minutes=n)


def win(start: str, end: str) -> WallWindow:
    return WallWindow(time.fromisoformat(start), time.fromisoformat(end))


def at(day: date, hhmm: str, tz: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), ZoneInfo(tz))


def walls(slots: list[Slot], tz: str, fmt: str = "%H:%M") -> list[str]:
    return [s.start.astimezone(ZoneInfo(tz)).strftime(fmt) for s in slots]


def grid(first: str, last: str, step: int) -> list[str]:
    out, t = [], datetime.combine(MONDAY, time.fromisoformat(first))
    while t <= datetime.combine(MONDAY, time.fromisoformat(last)):
        out.append(t.strftime("%H:%M"))
        t += mins(step)
    return out


def slots_for(schedule, *, day=MONDAY, end=None, service=ServiceShape(mins(60)), rules=Rules(interval=mins(30)),
              now=None, **kw) -> list[Slot]:
    now = now or datetime.combine(day - timedelta(days=7), time(0), UTC)  # well before, well within the horizon
    return free_slots(schedule, service, rules, start_date=day, end_date=end or day, now=now, **kw)


PARIS = "Europe/Paris"
WORKDAY = Schedule(PARIS, weekly={d: (win("09:00", "17:00"),) for d in range(1, 6)},
                   breaks={1: (win("12:00", "13:00"),)})


def test_monday_with_lunch_break_offers_the_half_hour_grid():
    slots = slots_for(WORKDAY)
    assert walls(slots, PARIS) == grid("09:00", "11:00", 30) + grid("13:00", "16:00", 30)
    assert slots[0] == Slot(datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC))


def test_overrides_close_a_day_or_shorten_it():
    closed = Schedule(PARIS, WORKDAY.weekly, overrides={MONDAY: ()})
    short = Schedule(PARIS, WORKDAY.weekly, WORKDAY.breaks, overrides={MONDAY: (win("10:00", "12:00"),)})
    assert slots_for(closed) == []
    assert walls(slots_for(short), PARIS) == ["10:00", "10:30", "11:00"]
    assert walls(slots_for(short, day=MONDAY + timedelta(days=1)), PARIS)[0] == "09:00"  # only that date


def test_time_off_spanning_days():
    off = Interval(at(MONDAY, "15:00", PARIS), at(MONDAY + timedelta(days=2), "10:00", PARIS))
    schedule = Schedule(PARIS, WORKDAY.weekly, WORKDAY.breaks, time_off=(off,))
    got = walls(slots_for(schedule, end=MONDAY + timedelta(days=2)), PARIS, "%a %H:%M")
    assert [w for w in got if w.startswith("Mon")][-1] == "Mon 14:00"
    assert not [w for w in got if w.startswith("Tue")]
    assert [w for w in got if w.startswith("Wed")][0] == "Wed 10:00"


def test_busy_block_and_the_new_services_buffers_both_count():
    existing = block_of(at(MONDAY, "11:00", PARIS), ServiceShape(mins(60), buffer_after=mins(15)))
    assert existing == Interval(at(MONDAY, "11:00", PARIS), at(MONDAY, "12:15", PARIS))
    service = ServiceShape(mins(60), buffer_before=mins(15), buffer_after=mins(15))
    schedule = Schedule(PARIS, {1: (win("09:00", "17:00"),)})
    slots = slots_for(schedule, service=service, rules=Rules(interval=mins(15)), busy=[existing])
    # Needs 11:00 >= start + 75 min, or start - 15 min >= 12:15.
    assert walls(slots, PARIS) == grid("09:00", "09:45", 15) + grid("12:30", "16:00", 15)
    nested = [Interval(at(MONDAY, "09:00", PARIS), at(MONDAY, "13:00", PARIS)),
              Interval(at(MONDAY, "10:00", PARIS), at(MONDAY, "10:30", PARIS))]
    assert walls(slots_for(schedule, busy=nested), PARIS)[0] == "13:00"


def test_min_notice_and_horizon():
    schedule = Schedule(PARIS, {d: (win("09:00", "17:00"),) for d in range(1, 8)})
    notice = slots_for(schedule, now=at(MONDAY, "10:05", PARIS), rules=Rules(min_notice=mins(120), interval=mins(30)))
    assert walls(notice, PARIS)[0] == "12:30"
    far = slots_for(schedule, end=MONDAY + timedelta(days=2), now=at(MONDAY, "08:00", PARIS),
                    rules=Rules(horizon=timedelta(days=1, hours=2), interval=mins(30)))
    assert walls(far, PARIS, "%a %H:%M")[-1] == "Tue 10:00"  # inclusive, nothing on Wednesday


def test_daily_limit_closes_the_whole_day():
    rules = Rules(interval=mins(30), daily_limit=2)
    got = slots_for(WORKDAY, end=MONDAY + timedelta(days=1), rules=rules,
                    day_counts={MONDAY: 2, MONDAY + timedelta(days=1): 1})
    assert {s.start.astimezone(ZoneInfo(PARIS)).date() for s in got} == {MONDAY + timedelta(days=1)}


def test_windows_ending_at_midnight():
    evening = Schedule(PARIS, {1: (win("20:00", "00:00"),)})
    slots = slots_for(evening)
    assert walls(slots, PARIS) == grid("20:00", "23:00", 30)
    assert slots[-1].end == at(MONDAY + timedelta(days=1), "00:00", PARIS)
    all_day = slots_for(Schedule(PARIS, {1: (win("00:00", "00:00"),)}), rules=Rules(interval=mins(60)))
    assert len(all_day) == 24


def test_bad_input_is_refused():
    with pytest.raises(InvalidRequest):
        win("22:00", "02:00")
    with pytest.raises(InvalidRequest):
        slots_for(WORKDAY, now=datetime(2026, 1, 1))
    with pytest.raises(InvalidRequest):
        slots_for(Schedule("Mars/Olympus", {}))


def test_local_day_bounds_on_23_and_25_hour_days():
    assert local_day_bounds(date(2026, 3, 29), "Europe/London") == Interval(
        datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC))
    assert local_day_bounds(date(2026, 10, 25), "Europe/London") == Interval(
        datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC))
    # Santiago springs forward at midnight: the day starts at 01:00 local.
    assert local_day_bounds(date(2026, 9, 6), "America/Santiago").start == datetime(2026, 9, 6, 4, tzinfo=UTC)


# --- DST: the wall clock jumps, the offered times must not -----------------------------------------


def test_london_spring_forward_night_window_skips_the_missing_hour():
    tz, day = "Europe/London", date(2026, 3, 29)
    slots = slots_for(Schedule(tz, {7: (win("00:00", "04:00"),)}), day=day, service=ServiceShape(mins(30)),
                      rules=Rules(interval=mins(15)))
    assert walls(slots, tz) == grid("00:00", "00:45", 15) + grid("02:00", "03:30", 15)
    assert slots[4].start == datetime(2026, 3, 29, 1, tzinfo=UTC)  # 02:00 BST
    assert slots[-1].end == datetime(2026, 3, 29, 3, tzinfo=UTC)  # 04:00 BST closes the window


def test_window_opening_inside_the_gap_keeps_its_own_grid():
    tz, day = "Europe/London", date(2026, 3, 29)
    slots = slots_for(Schedule(tz, {7: (win("01:30", "03:00"),)}), day=day, service=ServiceShape(mins(30)),
                      rules=Rules(interval=mins(20)))
    # 01:30 and 01:50 do not exist; the grid stays anchored at 01:30, not at 02:00 where the window opens.
    assert walls(slots, tz) == ["02:10", "02:30"]


def test_new_york_spring_forward():
    tz, day = "America/New_York", date(2026, 3, 8)
    slots = slots_for(Schedule(tz, {7: (win("00:00", "04:00"),)}), day=day)
    assert walls(slots, tz) == ["00:00", "00:30", "01:00", "01:30", "03:00"]
    assert slots[3] == Slot(datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 7, 30, tzinfo=UTC))


def test_new_york_fall_back_offers_the_repeated_hour_once():
    tz, day = "America/New_York", date(2026, 11, 1)
    slots = slots_for(Schedule(tz, {7: (win("00:00", "04:00"),)}), day=day)
    assert walls(slots, tz) == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00"]
    assert [s.start.hour for s in slots] == [4, 4, 5, 5, 7, 7, 8]  # UTC: 01:xx is the EDT occurrence
    assert slots[3].end - slots[3].start == mins(60)  # 01:30 EDT to 01:30 EST: sixty real minutes


def test_dst_week_keeps_wall_times_and_shifts_utc():
    tz, first = "America/New_York", date(2026, 3, 5)
    schedule = Schedule(tz, {d: (win("09:00", "17:00"),) for d in range(1, 8)})
    slots = slots_for(schedule, day=first, end=first + timedelta(days=6), rules=Rules(interval=mins(15)))
    by_day: dict[date, list[str]] = {}
    for s in slots:
        by_day.setdefault(s.start.astimezone(ZoneInfo(tz)).date(), []).append(walls([s], tz)[0])
    assert len(by_day) == 7 and all(v == grid("09:00", "16:00", 15) for v in by_day.values())
    nine_utc = [s.start.hour for s in slots if walls([s], tz) == ["09:00"]]
    assert nine_utc == [14, 14, 14, 13, 13, 13, 13]


def test_tokyo_provider_seen_from_los_angeles():
    schedule = Schedule("Asia/Tokyo", {2: (win("09:00", "12:00"),)})
    now = datetime(2026, 3, 9, 8, tzinfo=ZoneInfo("America/Los_Angeles"))
    slots = slots_for(schedule, day=date(2026, 3, 10), now=now, rules=Rules(interval=mins(60)))
    assert [s.start for s in slots] == [datetime(2026, 3, 10, h, tzinfo=UTC) for h in (0, 1, 2)]
    assert walls(slots, "America/Los_Angeles", "%m-%d %H:%M %Z") == [
        "03-09 17:00 PDT", "03-09 18:00 PDT", "03-09 19:00 PDT"]


def test_notice_and_horizon_across_the_utc_date_line():
    # The horizon ends 22:30 UTC on the 9th, already 07:30 on the 10th in Tokyo.
    tokyo = slots_for(Schedule("Asia/Tokyo", {2: (win("07:00", "10:00"),)}), day=date(2026, 3, 10),
                      now=datetime(2026, 3, 9, 15, tzinfo=UTC), rules=Rules(horizon=mins(450), interval=mins(30)))
    assert walls(tokyo, "Asia/Tokyo") == ["07:00", "07:30"]
    # 19:00 in New York is already tomorrow in UTC.
    tz = "America/New_York"
    evening = slots_for(Schedule(tz, {1: (win("20:00", "23:00"),)}), now=at(MONDAY, "19:00", tz))
    assert walls(evening, tz) == ["20:00", "20:30", "21:00", "21:30", "22:00"]


# --- Properties over real tzdata transitions -------------------------------------------------------

ZONE_YEARS = {"Europe/London": (2024, 2027), "America/New_York": (2024, 2027), "Australia/Lord_Howe": (2024, 2027),
              "America/Santiago": (2024, 2027), "Europe/Berlin": (2024, 2027), "America/Sao_Paulo": (2016, 2019)}


def transition_days() -> list[tuple[str, date]]:
    """(zone, local date) pairs where the offset at local noon differs from the day before's."""
    found = []
    for tz, (first, last) in ZONE_YEARS.items():
        day, prev = date(first, 1, 1), None
        while day <= date(last, 12, 31):
            offset = datetime.combine(day, time(12), ZoneInfo(tz)).utcoffset()
            if prev is not None and offset != prev:
                found.append((tz, day))
            day, prev = day + timedelta(days=1), offset
    return found


TRANSITIONS = transition_days()


def test_every_zone_has_transitions():
    assert {tz for tz, _ in TRANSITIONS} == set(ZONE_YEARS)


def wall_minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def open_pieces(schedule: Schedule, day: date) -> list[tuple[int, int]]:
    """Naive oracle: open wall minutes of the day as a boolean array, cut into maximal runs."""
    windows = schedule.overrides.get(day, schedule.weekly.get(day.isoweekday(), ()))
    is_open = [False] * 1440
    for value, spans in ((True, windows), (False, (*schedule.breaks.get(None, ()),
                                                   *schedule.breaks.get(day.isoweekday(), ())))):
        for w in spans:
            for m in range(wall_minutes(w.start), wall_minutes(w.end) or 1440):
                is_open[m] = value
    runs = (list(run) for value, run in groupby(range(1440), key=is_open.__getitem__) if value)
    return [(run[0], run[-1] + 1) for run in runs]


def instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """UTC of a wall time's first occurrence, or None when the wall time does not exist."""
    utc = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return utc if utc.astimezone(zone).replace(tzinfo=None) == wall else None


def boundary(wall: datetime, zone: ZoneInfo) -> datetime:
    """A window edge: the first existing wall minute at or after `wall`, found by walking."""
    while (utc := instant(wall, zone)) is None:
        wall += mins(1)
    return utc


def overlaps(a: Interval, b: Interval) -> bool:
    return a.start < b.end and b.start < a.end


def admissible(s: datetime, case: dict) -> bool:
    service, rules, now = case["service"], case["rules"], case["now"]
    appointment = Interval(s, s + service.duration)
    return (now + rules.min_notice <= s <= now + rules.horizon
            and not any(overlaps(block_of(s, service), b) for b in case["busy"])
            and not any(overlaps(appointment, off) for off in case["schedule"].time_off))


def day_allowed(day: date, case: dict) -> bool:
    limit = case["rules"].daily_limit
    return limit is None or case["day_counts"].get(day, 0) < limit


def reference_slots(case: dict) -> list[Slot]:
    """Slow reference: every wall-clock candidate converted with zoneinfo, every check a linear scan."""
    zone, out, day = ZoneInfo(case["schedule"].timezone), [], case["start_date"]
    while day <= case["end_date"]:
        midnight = datetime.combine(day, time(0))
        for a, b in open_pieces(case["schedule"], day) if day_allowed(day, case) else ():
            lo, hi, wall = boundary(midnight + mins(a), zone), boundary(midnight + mins(b), zone), midnight + mins(a)
            while wall < midnight + mins(b):
                s = instant(wall, zone)
                if s is not None and lo <= s and s + case["service"].duration <= hi and admissible(s, case):
                    out.append(Slot(s, s + case["service"].duration))
                wall += case["rules"].interval
        day += timedelta(days=1)
    return out


def check_slot(slot: Slot, case: dict) -> None:
    """Oracle: the slot exists on the wall clock, sits on a piece's grid inside its hours, and is free."""
    zone, service, step = ZoneInfo(case["schedule"].timezone), case["service"], case["rules"].interval
    wall = slot.start.astimezone(zone).replace(tzinfo=None)
    assert wall.replace(tzinfo=zone, fold=0).astimezone(UTC) == slot.start  # exists, first occurrence
    assert case["start_date"] <= wall.date() <= case["end_date"] and day_allowed(wall.date(), case)
    assert slot.end - slot.start == service.duration and admissible(slot.start, case)
    midnight = datetime.combine(wall.date(), time(0))
    assert any(midnight + mins(a) <= wall < midnight + mins(b) and (wall - midnight - mins(a)) % step == timedelta(0)
               and boundary(midnight + mins(a), zone) <= slot.start
               and slot.end <= boundary(midnight + mins(b), zone)
               for a, b in open_pieces(case["schedule"], wall.date()))


@st.composite
def wall_windows(draw, longest: int = 288) -> WallWindow:
    """Five-minute-aligned windows, biased towards the small hours and late evening where transitions are."""
    first = draw(st.one_of(st.integers(0, 36), st.integers(264, 287), st.integers(0, 287)))
    top = min(288, first + longest)
    last = draw(st.one_of(st.integers(min(first + 24, top), top), st.integers(first + 1, top)))
    return WallWindow(time(first * 5 // 60, first * 5 % 60), time(last * 5 // 60 % 24, last * 5 % 60))


@st.composite
def cases(draw) -> dict:
    tz, near = draw(st.sampled_from(TRANSITIONS))
    # Always include the transition date; the day before holds Santiago's repeated 23:00 hour.
    start_date = near - timedelta(days=draw(st.integers(0, 1)))
    end_date = near + timedelta(days=draw(st.integers(0, 1)))
    anchor = datetime.combine(start_date, time(0), UTC)
    intervals = st.builds(lambda a, n: Interval(anchor + mins(a), anchor + mins(a + n)),
                          st.integers(-24 * 60, 72 * 60), st.integers(1, 240))
    windows = tuple(draw(st.lists(wall_windows(), min_size=1, max_size=2)))
    breaks = {None: tuple(draw(st.lists(wall_windows(longest=24), max_size=1)))}
    return dict(
        schedule=Schedule(tz, {d: windows for d in range(1, 8)}, breaks,
                          time_off=tuple(draw(st.lists(intervals, max_size=2)))),
        service=ServiceShape(mins(draw(st.integers(1, 36)) * 5), mins(draw(st.sampled_from([0, 5, 15]))),
                             mins(draw(st.sampled_from([0, 10, 30])))),
        rules=Rules(min_notice=mins(draw(st.sampled_from([0, 60, 600]))),
                    horizon=timedelta(hours=draw(st.one_of(st.integers(72, 120), st.integers(1, 120)))),
                    interval=mins(draw(st.sampled_from([5, 10, 15, 20, 25, 30, 45, 60, 90]))),
                    daily_limit=draw(st.sampled_from([None, None, None, 0, 1, 2]))),
        start_date=start_date, end_date=end_date,
        now=anchor + mins(draw(st.one_of(st.integers(-36 * 60, 0), st.integers(-24 * 60, 48 * 60)))),
        busy=draw(st.lists(intervals, max_size=6)),
        day_counts={start_date: draw(st.integers(0, 2))},
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_slots_near_real_transitions(case):
    slots = free_slots(case["schedule"], case["service"], case["rules"], start_date=case["start_date"],
                       end_date=case["end_date"], now=case["now"], busy=case["busy"], day_counts=case["day_counts"])
    zone = ZoneInfo(case["schedule"].timezone)
    starts = [s.start for s in slots]
    assert starts == sorted(set(starts))
    local = [s.start.astimezone(zone).replace(tzinfo=None) for s in slots]
    assert len(set(local)) == len(local)  # no wall time offered twice
    for slot in slots:
        check_slot(slot, case)
    assert slots == reference_slots(case)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(-36 * 60, 72 * 60), st.integers(0, 48 * 60), st.one_of(st.none(), st.integers(0, 6)))
def test_a_window_and_a_limit_keep_exactly_the_first_slots_inside(case, from_minute, minutes, limit):
    """Asking for a window (and the first few) gives the slots the full answer lists there first, in the
    same grid: the chat asks only for what it shows."""
    anchor = datetime.combine(case["start_date"], time(0), UTC)
    window = Interval(anchor + mins(from_minute), anchor + mins(from_minute + minutes))
    asked = dict(start_date=case["start_date"], end_date=case["end_date"], now=case["now"], busy=case["busy"],
                 day_counts=case["day_counts"])
    every = free_slots(case["schedule"], case["service"], case["rules"], **asked)
    inside = [s for s in every if window.start <= s.start < window.end]
    assert free_slots(case["schedule"], case["service"], case["rules"], **asked, window=window,
                      limit=limit) == (inside if limit is None else inside[:limit])
