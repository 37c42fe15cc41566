"""The pieces a phrase is built from, as the recognizers find them, before any date is computed."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import tzinfo

from core.timeparse.tokens import Token


@dataclass(frozen=True, slots=True)
class Clock:
    """A time of day as written: `hour` 0-23, or 1-12 with `meridiem` None when it is ambiguous."""
    hour: int
    minute: int = 0
    second: int = 0
    meridiem: str | None = None   # "am" | "pm" | None
    grain: str = "hour"
    h24: bool = False             # written the 24-hour way (15:30, 15h, 07:00): no am/pm guess
    weak: bool = False            # a bare reading ("ten thirty", "1030") that needs a cue
    midnight: bool = False        # "midnight", "12am": the start of the next day

    def with_meridiem(self, meridiem: str) -> Clock:
        return replace(self, meridiem=meridiem)


@dataclass(frozen=True, slots=True)
class Num:
    """A bare number whose meaning (hour, day of month, minutes) depends on its neighbours."""
    value: int
    digits: int
    ordinal: bool = False


@dataclass(frozen=True, slots=True)
class DateSpec:
    """A calendar date, possibly partial: "march 3", "the 15th", "Tuesday the 19th", "2015-03-03"."""
    day: int
    month: int | None = None
    year: int | None = None
    weekday: int | None = None
    month_offset: int | None = None   # "20 of next month": 1
    weak: bool = False                # "the 24": only a date when the whole message is one


@dataclass(frozen=True, slots=True)
class RelDay:
    """today (0), tomorrow (1), the day after tomorrow (2), yesterday (-1)."""
    offset: int


@dataclass(frozen=True, slots=True)
class Weekday:
    """A weekday with how it is anchored.

    mode: "bare" (the next one, never today), "this" (the next one, today included),
    "next" (the one in next week), "skip" (the one after the next: "friday after next",
    "monday week"), "this_week"/"next_week" (that day of this/next ISO week),
    "count" (`count` of them from now: "3 fridays from now").
    """
    weekday: int
    mode: str = "bare"
    count: int = 1


@dataclass(frozen=True, slots=True)
class Part:
    """A part of the day (a key of lexicon.PARTS); `today` when said as "this morning", "tonight"."""
    name: str
    today: bool = False


@dataclass(frozen=True, slots=True)
class Week:
    """A week-level window: what is "week" | "weekend" | "beginning" | "end" | "rest"."""
    offset: int
    what: str = "week"


@dataclass(frozen=True, slots=True)
class Period:
    """A month or a year, relative ("next month") or named ("march")."""
    unit: str                 # "month" | "year"
    offset: int | None = None
    month: int | None = None
    year: int | None = None


@dataclass(frozen=True, slots=True)
class Duration:
    amount: float
    unit: str                 # a value of lexicon.UNITS


@dataclass(frozen=True, slots=True)
class Offset:
    """now + a duration: "in 2 hours", "a week hence", "2 minutes from now"."""
    duration: Duration
    precise: bool = False     # "from right now": kept to the second


@dataclass(frozen=True, slots=True)
class Span:
    """"for 30 mins": how long an interval lasts from its start."""
    duration: Duration


@dataclass(frozen=True, slots=True)
class RelRange:
    """"next 3 days", "the next few hours": whole units after the current one."""
    count: int
    unit: str


@dataclass(frozen=True, slots=True)
class Zone:
    tz: tzinfo


@dataclass(frozen=True, slots=True)
class Now:
    asap: bool = False        # "ASAP": an open interval from now


@dataclass(frozen=True, slots=True)
class EndOfDay:
    """"EOD", "end of day", "close of business"."""


@dataclass(frozen=True, slots=True)
class Marker:
    """A word that shapes the phrase rather than naming a time.

    kind: "sep" (-, to, until between two times), "and", "between", "from", "after", "before",
    "until", "by", "within", "since".
    """
    kind: str


@dataclass(frozen=True, slots=True)
class Item:
    """An atom or marker with the tokens it came from."""
    atom: object
    first: int                # token indexes, end exclusive
    last: int
    start: int                # character span
    end: int

    @classmethod
    def of(cls, atom: object, tokens: list[Token], first: int, last: int) -> Item:
        return cls(atom, first, last, tokens[first].start, tokens[last - 1].end)
