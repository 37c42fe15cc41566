"""From a parsed phrase to datetimes: which day, which hour, preferring the future.

Booking sense for hours written without am/pm: 1-7 are afternoon or evening (15:00 for "at
3"), 8-11 morning, 12 noon; a part of the day decides when one is said ("tonight at 11" is
23:00, "this morning at 9" 09:00). A time with no day that has already passed today means
tomorrow; a day that is named ("today", "this morning") is kept even when it has passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from core.timeparse.atoms import Clock, DateSpec, Duration, Weekday
from core.timeparse.calendar import add_calendar, add_months, elapsed, monday, truncate, valid_date, wall
from core.timeparse.grammar import Point
from core.timeparse.lexicon import OFFSET_GRAIN, PART_MERIDIEM, PARTS
from core.timeparse.value import TimeValue


@dataclass(frozen=True)
class Context:
    now: datetime             # aware, in `tz`
    tz: tzinfo

    @property
    def today(self) -> date:
        return self.now.date()


def resolve_point(point: Point, ctx: Context, roll: bool = True) -> TimeValue | None:
    """The value of one point; `roll` moves a time with no named day that has passed to tomorrow."""
    if point.now:
        if point.now.asap:
            return TimeValue("interval", truncate(ctx.now, "second"), None, "second")
        return TimeValue("instant", truncate(ctx.now, "second"), None, "second")
    if point.eod:
        return TimeValue("instant", wall(ctx.today + timedelta(days=1), ctx.tz), None, "hour")
    if point.offset:
        return _offset_point(point, ctx)
    if point.week:
        return week_value(point.week.offset, point.week.what, ctx)
    day = day_of(point, ctx)
    if day is None:
        if point.period:
            return period_value(point, ctx)
        if not (point.clock or point.part):
            return None
        day, anchored = ctx.today, False
    else:
        anchored = True
    roll = roll and not anchored
    if point.clock:
        return _at_clock(point, day, ctx, roll)
    if point.part:
        return _part_value(point.part.name, day, ctx, roll)
    return TimeValue("instant", wall(day, ctx.tz), None, "day")


def _at_clock(point: Point, day: date, ctx: Context, roll: bool) -> TimeValue:
    hour, minute, second, next_day = clock_hour(point.clock, point.part.name if point.part else None)
    moment = _clock_moment(day + timedelta(days=next_day), hour, minute, second, point, ctx)
    if roll and moment < ctx.now:
        moment = _clock_moment(day + timedelta(days=next_day + 1), hour, minute, second, point, ctx)
    grain = point.clock.grain
    if point.zone and grain == "hour":
        grain = "minute"  # converted from another zone, it may not fall on our hour
    return TimeValue("instant", moment, None, grain)


def _clock_moment(day: date, hour: int, minute: int, second: int, point: Point, ctx: Context) -> datetime:
    if point.zone is None:
        return wall(day, ctx.tz, hour, minute, second)
    return wall(day, point.zone.tz, hour, minute, second).astimezone(ctx.tz)


def clock_hour(clock: Clock, part: str | None) -> tuple[int, int, int, int]:
    """(hour 0-23, minute, second, days after the day named): booking sense for bare hours."""
    if clock.midnight:
        return 0, 0, 0, 1
    hour = clock.hour
    if clock.meridiem:
        hour = hour % 12 + (12 if clock.meridiem == "pm" else 0)
    elif clock.h24 or hour == 0 or hour > 12:
        pass
    elif part is not None:
        if PART_MERIDIEM[part] == "pm" and hour < 12:
            hour += 12
        elif hour == 12 and part in ("evening", "night", "late_night"):
            return 0, clock.minute, clock.second, 1
    elif 1 <= hour <= 7:
        hour += 12
    if hour == 24:
        return 0, clock.minute, clock.second, 1
    return hour, clock.minute, clock.second, 0


def _part_value(name: str, day: date, ctx: Context, roll: bool) -> TimeValue:
    first, last = PARTS[name]
    start, end = wall(day, ctx.tz, first), _hour_or_midnight(day, last, ctx)
    if roll and end <= ctx.now:
        day += timedelta(days=1)
        start, end = wall(day, ctx.tz, first), _hour_or_midnight(day, last, ctx)
    return TimeValue("interval", start, end, "hour")


def _hour_or_midnight(day: date, hour: int, ctx: Context) -> datetime:
    return wall(day + timedelta(days=1), ctx.tz) if hour == 24 else wall(day, ctx.tz, hour)


def day_of(point: Point, ctx: Context) -> date | None:
    """The day a point names, or None when it names none."""
    if point.date:
        return date_value(point.date, ctx.today)
    if point.relday:
        return ctx.today + timedelta(days=point.relday.offset)
    if point.weekday:
        return weekday_value(point.weekday, ctx.today)
    if point.part and point.part.today:
        return ctx.today
    return None


def date_value(spec: DateSpec, today: date) -> date | None:
    """The day of a (partial) date: this month or year unless it has passed, else the next that
    exists. With a weekday, the first such date on that weekday within two years ("Fri, Jul 18"
    is 2014 from 2013); when none is, the weekday is taken for a slip and the date kept."""
    if spec.month_offset is not None:
        month = add_months(today.replace(day=1), spec.month_offset)
        return valid_date(month.year, month.month, spec.day)
    if spec.year is not None:
        return valid_date(spec.year, spec.month, spec.day)
    if spec.month is None:
        months = (add_months(today.replace(day=1), step) for step in range(48))
        found = (valid_date(month.year, month.month, spec.day) for month in months)
    else:
        found = (valid_date(year, spec.month, spec.day) for year in range(today.year, today.year + 9))
    candidates = [day for day in found if day and day >= today]
    if not candidates:
        return None
    horizon = today + timedelta(days=731)
    matching = [day for day in candidates if day <= horizon and day.weekday() == spec.weekday]
    return matching[0] if spec.weekday is not None and matching else candidates[0]


def weekday_value(spec: Weekday, today: date) -> date:
    ahead = (spec.weekday - today.weekday()) % 7
    if spec.mode == "this":
        return today + timedelta(days=ahead)
    if spec.mode == "next":
        return monday(today) + timedelta(days=7 + spec.weekday)
    if spec.mode == "this_week":
        return monday(today) + timedelta(days=spec.weekday)
    if spec.mode == "next_week":
        return monday(today) + timedelta(days=7 + spec.weekday)
    if spec.mode == "last":
        return today - timedelta(days=(today.weekday() - spec.weekday) % 7 or 7)
    first = today + timedelta(days=ahead or 7)
    if spec.mode == "skip":
        return first + timedelta(days=7)
    if spec.mode == "count":
        return first + timedelta(days=7 * (spec.count - 1))
    return first


def week_value(offset: int, what: str, ctx: Context) -> TimeValue:
    """Weeks run Monday to Sunday; the weekend from Friday 18:00 to Monday."""
    start = monday(ctx.today) + timedelta(weeks=offset)
    if what == "week":
        return TimeValue("instant", wall(start, ctx.tz), None, "week")
    if what == "weekend":
        return TimeValue("interval", wall(start + timedelta(days=4), ctx.tz, 18),
                         wall(start + timedelta(days=7), ctx.tz), "hour")
    first, last = {"beginning": (0, 3), "end": (4, 7), "rest": (None, 6)}[what]
    first_day = ctx.today if first is None else start + timedelta(days=first)
    return TimeValue("interval", wall(first_day, ctx.tz), wall(start + timedelta(days=last), ctx.tz), "day")


def period_value(point: Point, ctx: Context) -> TimeValue | None:
    period = point.period
    if period.unit == "year":
        return TimeValue("instant", wall(date(ctx.today.year + period.offset, 1, 1), ctx.tz), None, "year")
    if period.offset is not None:
        first = add_months(ctx.today.replace(day=1), period.offset)
    elif period.year is not None:
        first = date(period.year, period.month, 1)
    else:
        year = ctx.today.year + (period.month < ctx.today.month)
        first = date(year, period.month, 1)
    return TimeValue("instant", wall(first, ctx.tz), None, "month")


def offset_value(duration: Duration, ctx: Context, precise: bool = False) -> TimeValue:
    """now + duration, at one grain finer than the unit ("in 2 hours": minute; "in a week": day).
    Hours and less are elapsed time; days and more keep the wall clock across DST."""
    amount, unit = _whole(duration)
    if unit in ("second", "minute", "hour"):
        moment = elapsed(ctx.now, timedelta(**{unit + "s": amount}))
    else:
        moment = add_calendar(ctx.now, amount, unit)
    grain = "second" if precise else OFFSET_GRAIN[unit]
    return TimeValue("instant", truncate(moment, grain), None, grain)


def _whole(duration: Duration) -> tuple[int, str]:
    """A fractional amount in a smaller unit: 2.5 hours is 150 minutes."""
    amount, unit = duration.amount, duration.unit
    smaller = {"hour": ("minute", 60), "day": ("hour", 24), "week": ("day", 7), "minute": ("second", 60),
               "month": ("day", 30), "year": ("month", 12)}
    while amount != int(amount) and unit in smaller:
        unit, factor = smaller[unit]
        amount *= factor
    return round(amount), unit


def _offset_point(point: Point, ctx: Context) -> TimeValue:
    base = offset_value(point.offset.duration, ctx, point.offset.precise)
    if point.clock:
        shifted = Point(clock=point.clock, part=point.part, zone=point.zone)
        return _at_clock(shifted, base.start.date(), ctx, False)
    if point.part:
        return _part_value(point.part.name, base.start.date(), ctx, False)
    return base
