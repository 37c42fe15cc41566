"""Date arithmetic in a zone, with wall times that DST skipped moved forward past the gap."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo


def wall(day: date, tz: tzinfo, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """The aware datetime for a wall time; one that does not exist (spring forward) moves on by the gap."""
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
    real = moment.astimezone(UTC).astimezone(tz)
    return real if real.replace(tzinfo=None) != moment.replace(tzinfo=None) else moment


def day_start(day: date, tz: tzinfo) -> datetime:
    return wall(day, tz)


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _month_length(year, month)))


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def valid_date(year: int, month: int, day: int) -> date | None:
    if 1 <= month <= 12 and 1 <= day <= _month_length(year, month):
        return date(year, month, day)
    return None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def add_calendar(moment: datetime, amount: int, unit: str) -> datetime:
    """`moment` moved by whole days, weeks, months or years, keeping its wall time."""
    day = moment.date()
    if unit == "day":
        day += timedelta(days=amount)
    elif unit == "week":
        day += timedelta(weeks=amount)
    elif unit == "month":
        day = add_months(day, amount)
    elif unit == "year":
        day = add_months(day, 12 * amount)
    return wall(day, moment.tzinfo, moment.hour, moment.minute, moment.second)


def truncate(moment: datetime, grain: str) -> datetime:
    """The start of the `grain` that holds `moment`, as a wall time."""
    if grain == "second":
        return moment.replace(microsecond=0)
    if grain == "minute":
        return moment.replace(second=0, microsecond=0)
    if grain == "hour":
        return wall(moment.date(), moment.tzinfo, moment.hour)
    day = moment.date()
    if grain == "week":
        day = monday(day)
    elif grain == "month":
        day = day.replace(day=1)
    elif grain == "year":
        day = day.replace(month=1, day=1)
    return day_start(day, moment.tzinfo)


def elapsed(moment: datetime, delta: timedelta) -> datetime:
    """`moment` plus real elapsed time (across a DST change, 2 hours is 2 hours)."""
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


def plus_wall(moment: datetime, delta: timedelta) -> datetime:
    """`moment` moved on the wall clock ("8" read as "20:00" is 12 wall hours later)."""
    naive = moment.replace(tzinfo=None) + delta
    return wall(naive.date(), moment.tzinfo, naive.hour, naive.minute, naive.second)
