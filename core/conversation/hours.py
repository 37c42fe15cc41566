"""Opening hours and providers' working days, said the way a receptionist says them.

Pure functions over each provider's `Schedule` (weekly hours, date overrides and days off,
time off), so every answer comes from what the business set up and nothing is made up.
Breaks are not closing time. Times are the providers' own wall-clock times.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.booking.availability import Schedule

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
Span = tuple[time, time]  # wall clock; an end of 00:00 is midnight at the day's end


@dataclass(frozen=True)
class WorkingTimes:
    """What questions about the business are answered from (`Desk.working_times`)."""

    horizon_days: int  # bookings taken this many days ahead (days off are told up to then)
    schedules: dict[int, Schedule]  # active provider id -> working time
    names: dict[int, str]  # active provider id -> name


def weekly(schedule: Schedule, weekday: int) -> list[Span]:
    """The provider's usual hours on an ISO weekday (1 = Monday)."""
    return sorted((w.start, w.end) for w in schedule.weekly.get(weekday, ()))


def on_date(schedule: Schedule, day: date) -> list[Span]:
    """The provider's hours on one date: a date override (or day off) wins, and time off is taken out."""
    windows = schedule.overrides[day] if day in schedule.overrides else schedule.weekly.get(day.isoweekday(), ())
    zone = ZoneInfo(schedule.timezone)
    spans = []
    for window in sorted(windows, key=lambda w: w.start):
        pieces = [(datetime.combine(day, window.start, zone),
                   datetime.combine(day + timedelta(days=window.end == time(0)), window.end, zone))]
        for off in schedule.time_off:
            pieces = [cut for start, end in pieces for cut in _less(start, end, off.start, off.end)]
        spans += [(s.astimezone(zone).time(), e.astimezone(zone).time()) for s, e in pieces]
    return spans


def _less(start: datetime, end: datetime, off_start: datetime, off_end: datetime) -> list[tuple[datetime, datetime]]:
    if off_end <= start or off_start >= end:
        return [(start, end)]
    return [(a, b) for a, b in ((start, off_start), (off_end, end)) if a < b]


def clock(moment: time) -> str:
    return f"{moment:%H:%M}"


def span_text(spans: list[Span]) -> str:
    """ "09:00-17:30", or "09:00-12:00 and 13:00-17:30" for a day in pieces."""
    texts = [f"{clock(s)}-{clock(e)}" for s, e in spans]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _end_key(t: time) -> tuple[int, time]:
    return (1, t) if t == time(0) else (0, t)  # midnight at the end of the day is the latest end


def business_day(per_provider: dict[str, list[Span]], focus: str | None, also: tuple[str, ...] = ()) -> str | None:
    """ "09:00-18:00 (Sam until 13:00)" for one day from each working provider's hours; None when nobody works.

    `focus` is "close" (note who finishes early), "open" (who starts late), "summary" (no notes) or
    None (both); `also` are more notes ("Jordan off")."""
    working = {name: (spans[0][0], max((e for _, e in spans), key=_end_key)) for name, spans in per_provider.items()
               if spans}
    if not working:
        return None
    opens = min(s for s, _ in working.values())
    closes = max((e for _, e in working.values()), key=_end_key)
    notes = [] if focus == "summary" else [note for name, (start, end) in working.items()
                                           if (note := _note(name, start, end, opens, closes, focus))]
    notes += also
    return f"{clock(opens)}-{clock(closes)}" + (f" ({', '.join(notes)})" if notes else "")


def _note(name: str, start: time, end: time, opens: time, closes: time, focus: str | None) -> str | None:
    late, early = start > opens and focus != "close", _end_key(end) < _end_key(closes) and focus != "open"
    if late and early:
        return f"{name} {clock(start)}-{clock(end)}"
    if late or early:
        return f"{name} from {clock(start)}" if late else f"{name} until {clock(end)}"
    return None


def opening_on_weekday(times: WorkingTimes, weekday: int, focus: str | None) -> str:
    """ "On Saturdays we're open 09:00-18:00 (Sam until 13:00)." or "We're closed on Sundays." """
    day = business_day({times.names[p]: weekly(s, weekday) for p, s in times.schedules.items()}, focus)
    plural = DAY_NAMES[weekday - 1] + "s"
    return f"On {plural} we're open {day}." if day else f"We're closed on {plural}."


def opening_on_date(times: WorkingTimes, day: date, label: str, focus: str | None) -> str:
    """ "On Thu 24 Dec we're open 09:00-18:00 (Jordan is off)." or "We're closed on Sun 6 Dec." """
    hours = {p: on_date(s, day) for p, s in times.schedules.items()}
    off = tuple(f"{times.names[p]} off" for p, s in times.schedules.items()
                if weekly(s, day.isoweekday()) and not hours[p])
    opened = business_day({times.names[p]: spans for p, spans in hours.items()}, focus, off)
    return f"On {label} we're open {opened}." if opened else f"We're closed on {label}."


def opening_week(times: WorkingTimes) -> str:
    """ "We're open Mon-Thu 09:00-20:00, Fri-Sat 09:00-18:00; closed on Sundays." """
    days = {d: business_day({times.names[p]: weekly(s, d) for p, s in times.schedules.items()}, "summary")
            for d in range(1, 8)}
    open_days = _grouped({d: text for d, text in days.items() if text})
    closed = [DAY_NAMES[d - 1] + "s" for d, text in days.items() if not text]
    if not open_days:
        return "We have no opening hours set up yet."
    return "We're open " + ", ".join(open_days) + (f"; closed on {_and(closed)}." if closed else ".")


def _grouped(by_day: dict[int, str]) -> list[str]:
    """Runs of weekdays with the same hours: {1: "9-5", 2: "9-5", 3: "9-1"} -> ["Mon-Tue 9-5", "Wed 9-1"]."""
    runs: list[list] = []
    for d, text in sorted(by_day.items()):
        if runs and runs[-1][2] == text and runs[-1][1] == d - 1:
            runs[-1][1] = d
        else:
            runs.append([d, d, text])
    short = [name[:3] for name in DAY_NAMES]
    return [f"{short[a - 1]}{'-' + short[b - 1] if b != a else ''} {text}" for a, b, text in runs]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def day_text(day: date) -> str:
    """ "Thu 24 Dec", as dates are written everywhere in the conversation."""
    return f"{day:%a} {day.day} {day:%b}"


def provider_on_weekday(times: WorkingTimes, provider_id: int, weekday: int) -> str:
    """ "Alex doesn't work on Mondays." or "Yes, Sam works on Saturdays, 09:00-13:00." """
    name, spans = times.names[provider_id], weekly(times.schedules[provider_id], weekday)
    plural = DAY_NAMES[weekday - 1] + "s"
    return f"Yes, {name} works on {plural}, {span_text(spans)}." if spans else f"{name} doesn't work on {plural}."


def provider_on_date(times: WorkingTimes, provider_id: int, day: date) -> str:
    """ "Jordan is off on Thu 24 Dec." or "Yes, Alex is in on Thu 31 Dec, 10:00-18:00." """
    schedule, name = times.schedules[provider_id], times.names[provider_id]
    spans = on_date(schedule, day)
    if spans:
        return f"Yes, {name} is in on {day_text(day)}, {span_text(spans)}."
    if not weekly(schedule, day.isoweekday()) and day not in schedule.overrides:
        return f"{name} doesn't work on {DAY_NAMES[day.weekday()]}s, so not on {day_text(day)}."
    return f"{name} is off on {day_text(day)}."


def provider_week(times: WorkingTimes, provider_id: int, today: date) -> str:
    """ "Jordan works Mon-Thu 12:00-20:00, Fri 09:00-15:00; off Thu 24 Dec and Mon 28 Dec-Fri 1 Jan." """
    schedule, name = times.schedules[provider_id], times.names[provider_id]
    days = {d: span_text(weekly(schedule, d)) for d in range(1, 8) if weekly(schedule, d)}
    if not days:
        return f"{name} has no regular working days set up."
    runs = days_off(schedule, today, times.horizon_days)[:4]
    off = [day_text(a) if a == b else f"{day_text(a)}-{day_text(b)}" for a, b in runs]
    return f"{name} works {', '.join(_grouped(days))}" + (f"; off {_and(off)}." if off else ".")


def days_off(schedule: Schedule, today: date, horizon_days: int) -> list[tuple[date, date]]:
    """Runs of usual working days the provider is off, from today to the booking horizon (days they
    never work do not break a run: Mon 28 Dec-Fri 1 Jan)."""
    runs: list[tuple[date, date]] = []
    in_run = False
    for n in range(horizon_days + 1):
        day = today + timedelta(days=n)
        if not weekly(schedule, day.isoweekday()) and day not in schedule.overrides:
            continue  # a day they never work: neither off nor in
        if on_date(schedule, day):
            in_run = False
        elif in_run:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
            in_run = True
    return runs
