"""The value of a whole expression: ranges, open intervals, spans and "next N units"."""
from __future__ import annotations

from datetime import datetime, timedelta

from core.timeparse.atoms import Duration, RelRange
from core.timeparse.calendar import add_calendar, add_months, elapsed, monday, plus_wall, truncate, wall
from core.timeparse.grammar import Expr, Open, Point, Range, Ranged, Shifted, Single, Spanned
from core.timeparse.resolve import Context, day_of, offset_value, resolve_point
from core.timeparse.value import GRAINS, TimeValue, finer

_TIME_GRAINS = ("second", "minute", "hour")


def evaluate(expr: Expr, ctx: Context) -> TimeValue | None:
    if isinstance(expr, Single):
        return resolve_point(expr.point, ctx)
    if isinstance(expr, Range):
        return _range(expr, ctx)
    if isinstance(expr, Open):
        return _open(expr, ctx)
    if isinstance(expr, Spanned):
        return _spanned(expr, ctx)
    if isinstance(expr, Ranged):
        return _relative_range(expr.rel, ctx)
    if isinstance(expr, Shifted):
        return _shifted(expr, ctx)
    return None


def end_of(value: TimeValue) -> datetime | None:
    """Where a value stops: an interval's end, or the end of an instant's grain."""
    if value.kind == "interval":
        return value.end
    return _after_grain(value.start, value.grain)


def _after_grain(moment: datetime, grain: str) -> datetime:
    if grain in _TIME_GRAINS:
        return elapsed(moment, timedelta(**{grain + "s": 1}))
    if grain == "day":
        return add_calendar(moment, 1, "day")
    if grain == "week":
        return add_calendar(moment, 1, "week")
    return add_calendar(moment, 1, "month" if grain == "month" else "year")


def _range(expr: Range, ctx: Context) -> TimeValue | None:
    """From the left value's start to the right one's end; a named clock time ends the range
    at that time ("3-4pm" ends at 16:00), a named day at the end of that day."""
    anchored = day_of(expr.left, ctx) is not None or expr.left.offset is not None
    left, right = resolve_point(expr.left, ctx, roll=False), resolve_point(expr.right, ctx, roll=False)
    if left is None or right is None or left.start is None:
        return None
    start = left.start
    end = right.start if right.kind == "instant" and right.grain in _TIME_GRAINS else end_of(right)
    if end is None:
        return None
    if end <= start and right.grain in _TIME_GRAINS:
        end = _later_same_day(expr.right, end, start)
    while end <= start and expr.right.weekday and expr.right.weekday.mode == "bare":
        end = add_calendar(end, 1, "week")  # "monday to friday" said on a Wednesday
    if end <= start:
        return None
    if not anchored and end <= ctx.now and right.grain in _TIME_GRAINS:
        start, end = add_calendar(start, 1, "day"), add_calendar(end, 1, "day")
    return TimeValue("interval", start, end, finer(left.grain, right.grain))


def _later_same_day(right: Point, end: datetime, start: datetime) -> datetime:
    """ "between 7 and 8" is 19:00-20:00; "10pm-2am" runs past midnight."""
    clock = right.clock
    if clock and not clock.meridiem and not clock.h24 and plus_wall(end, timedelta(hours=12)) > start:
        return plus_wall(end, timedelta(hours=12))
    return add_calendar(end, 1, "day")


def _open(expr: Open, ctx: Context) -> TimeValue | None:
    point = expr.point
    if point.duration is not None:
        moment = offset_value(point.duration, ctx)
        if expr.kind == "within":
            return TimeValue("interval", truncate(ctx.now, "second"), moment.start, "second")
        return TimeValue("interval", moment.start, None, moment.grain)
    value = resolve_point(point, ctx)
    if value is None or value.start is None:
        return None
    timed = value.grain in _TIME_GRAINS and value.kind == "instant"
    if expr.kind == "after":
        start = value.start if timed or value.kind == "interval" else end_of(value)
        return TimeValue("interval", start, None, value.grain)
    end = value.start if timed or expr.kind == "before" else end_of(value)
    if expr.kind == "by":
        return TimeValue("interval", truncate(ctx.now, "second"), end, "second")
    return TimeValue("interval", None, end, value.grain)


def _spanned(expr: Spanned, ctx: Context) -> TimeValue | None:
    """ "4pm for 30 mins": from the start, for that long (16:00-16:30)."""
    value = resolve_point(expr.point, ctx)
    if value is None or value.start is None:
        return None
    end = _plus(value.start, expr.duration)
    grain = finer(value.grain, _unit_grain(expr.duration.unit))
    return TimeValue("interval", value.start, end, grain)


def _shifted(expr: Shifted, ctx: Context) -> TimeValue | None:
    value = resolve_point(expr.point, ctx)
    if value is None:
        return None
    start = _plus(value.start, expr.duration) if value.start else None
    end = _plus(value.end, expr.duration) if value.end else None
    return TimeValue(value.kind, start, end, value.grain)


def _plus(moment: datetime, duration: Duration) -> datetime:
    unit, amount = duration.unit, duration.amount
    if unit in _TIME_GRAINS:
        return elapsed(moment, timedelta(**{unit + "s": amount}))
    if amount != int(amount):
        return moment + timedelta(days=amount * {"day": 1, "week": 7}.get(unit, 30))
    return add_calendar(moment, int(amount), unit)


def _unit_grain(unit: str) -> str:
    return unit if unit in GRAINS else "day"


def _relative_range(rel: RelRange, ctx: Context) -> TimeValue:
    """ "next 3 days" is the 3 whole days after today; "next 3 hours" the 3 whole hours after this one."""
    unit, count = rel.unit, rel.count
    if unit in _TIME_GRAINS:
        start = elapsed(truncate(ctx.now, unit), timedelta(**{unit + "s": 1}))
        return TimeValue("interval", start, elapsed(start, timedelta(**{unit + "s": count})), unit)
    if unit == "week":
        first = monday(ctx.today) + timedelta(weeks=1)
        return TimeValue("interval", wall(first, ctx.tz), wall(first + timedelta(weeks=count), ctx.tz), "week")
    if unit in ("month", "year"):
        months = count * (12 if unit == "year" else 1)
        first = add_months(ctx.today.replace(day=1), 1)
        return TimeValue("interval", wall(first, ctx.tz), wall(add_months(first, months), ctx.tz), unit)
    first = ctx.today + timedelta(days=1)
    return TimeValue("interval", wall(first, ctx.tz), wall(first + timedelta(days=count), ctx.tz), "day")
