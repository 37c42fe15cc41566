"""Expanding a recurrence rule into the starts of a series, as pure functions.

The rule is an RFC 5545 RRULE ("FREQ=WEEKLY;COUNT=6"), read and expanded by dateutil's
`rrulestr` from the first start on the provider's wall clock: every occurrence keeps that
local time across a DST change (10:00 in London is 10:00 GMT in March and 10:00 BST in April),
and a local time the clocks skip is reported as such (`Start.exists`), never shifted.

A series is bounded: at most `MAX_OCCURRENCES`, all before `until` (the booking horizon). An
UNTIL in UTC ("...T000000Z") is compared as an instant; a date or a local time as written on
the provider's clock (a "floating" UNTIL).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from core.booking.errors import InvalidRequest

MAX_OCCURRENCES = 52
MAX_RULE_LENGTH = 500
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")  # an appointment repeats at most daily
EXAMPLE = "for example FREQ=WEEKLY;COUNT=6"


class BadRecurrence(InvalidRequest):
    """The recurrence is not an RRULE this booking system can expand."""

    code = "invalid_recurrence"


class SeriesTooLong(InvalidRequest):
    """The series has more occurrences than one request books, or runs past the booking horizon."""

    code = "series_too_long"


@dataclass(frozen=True)
class Start:
    """One occurrence: its wall-clock start in the provider's zone, and that as a UTC instant."""

    local: datetime
    exists: bool  # False: the clocks skip that local time on that day (spring forward)

    @property
    def utc(self) -> datetime:
        return self.local.astimezone(UTC)


def expand(recurrence: str, first: datetime, zone: str, *, until: datetime) -> list[Start]:
    """The starts of the series from `first` (aware), at its wall-clock time in `zone`, through `until`.

    Raises `BadRecurrence` for a rule dateutil cannot read (or one repeating more than daily), and
    `SeriesTooLong` for more than `MAX_OCCURRENCES` starts or one after `until`."""
    text = normalise(recurrence)
    tz = ZoneInfo(zone)
    local = first.astimezone(tz)
    rule, floating = _parse(text, local)
    bound = until.astimezone(tz)
    if floating:  # a floating UNTIL: the rule runs on naive wall-clock times
        bound = bound.replace(tzinfo=None)
    # Expanded against the horizon, not the rule alone: an impossible rule ("every 30 February")
    # would make dateutil search to the year 9999. What the rule itself gives is a prefix of this.
    within = list(islice(rule.replace(count=None, until=bound), MAX_OCCURRENCES + 1))
    starts = [when for when in within if when in rule]
    if len(starts) > MAX_OCCURRENCES:
        raise SeriesTooLong(f"a series can have at most {MAX_OCCURRENCES} occurrences; "
                            f"give a smaller COUNT or an earlier UNTIL")
    if not starts:
        raise SeriesTooLong("the recurrence gives no start within the time bookings are open")
    if len(starts) == len(within) and rule.after(bound) is not None:
        raise SeriesTooLong(f"the series runs past {bound:%a %d %b %Y}, the furthest bookings are open; "
                            f"give a COUNT or an UNTIL that ends it sooner")
    return [_start(when.replace(tzinfo=tz) if floating else when, tz) for when in starts]


def normalise(recurrence: str) -> str:
    """The rule without surrounding blanks or an "RRULE:" prefix; refused unless it is one line of
    NAME=VALUE parts with a FREQ this system repeats at (and an INTERVAL of at least 1)."""
    text = recurrence.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > MAX_RULE_LENGTH or any(c in text for c in "\r\n:"):
        raise BadRecurrence(f"recurrence must be one RRULE line of at most {MAX_RULE_LENGTH} characters, "
                            f"{EXAMPLE}")
    parts = dict(part.partition("=")[::2] for part in text.upper().split(";"))
    if parts.get("FREQ") not in FREQUENCIES:
        raise BadRecurrence(f"recurrence needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY, {EXAMPLE}")
    interval = parts.get("INTERVAL", "1")
    if not (interval.isascii() and interval.isdigit() and 1 <= int(interval) <= 366):
        raise BadRecurrence("recurrence INTERVAL must be a whole number from 1 to 366")
    return text


def _parse(text: str, local: datetime) -> tuple[rrule, bool]:
    """The rule from `local`; (rule, True) when its UNTIL is floating and the rule runs on naive times."""
    try:
        return rrulestr(text, dtstart=local), False
    except ValueError as exc:
        if "UNTIL" not in str(exc) or "UTC" not in str(exc):
            raise _bad(exc) from exc
    except (TypeError, OverflowError) as exc:
        raise _bad(exc) from exc
    try:
        return rrulestr(text, dtstart=local.replace(tzinfo=None)), True
    except (ValueError, TypeError, OverflowError) as exc:
        raise _bad(exc) from exc


def _bad(exc: Exception) -> BadRecurrence:
    reason = str(exc).split("\n")[0][:80] or type(exc).__name__
    return BadRecurrence(f"recurrence is not a valid RRULE ({reason}), {EXAMPLE}")


def _start(local: datetime, tz: ZoneInfo) -> Start:
    # A wall time the clocks skip comes back from UTC as another wall time.
    there_and_back = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return Start(local=local, exists=there_and_back == local.replace(tzinfo=None))
