"""Field types shared by the API's schemas and parameters.

Each one refuses at the edge what the database or the core would choke on (a lone
surrogate, a NUL byte, an id past 32 bits, a year the UTC conversion cannot reach), so bad
input is a 422 with a message and never a 500.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from functools import lru_cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, PlainSerializer, WithJsonSchema

MAX_ID = 2**31 - 1  # INTEGER columns on PostgreSQL
_WALL = re.compile(r"(?:(?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d)|24:00)")
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def text(max_length: int, *, min_length: int = 0) -> object:
    """A string of at most `max_length` characters, stripped; `min_length=1` makes it non-blank."""
    return Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v),
                     Field(min_length=min_length, max_length=max_length), AfterValidator(_clean_text)]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


def _known_zone(value: str) -> str:
    # A set lookup rather than ZoneInfo(value): ZoneInfo("America") raises IsADirectoryError.
    if value not in _zones():
        raise ValueError(f"{value!r} is not a known IANA time zone, like Europe/London")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


def _in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


def _wall_time(value: object, *, midnight_end: bool) -> time:
    if isinstance(value, time):
        return value
    match = _WALL.fullmatch(value) if isinstance(value, str) else None
    if match is None or (match["h"] is None and not midnight_end):
        raise ValueError('must be a wall-clock time like "09:00"'
                         + (" (24:00 means midnight at the end of the day)" if midnight_end else ""))
    return time(int(match["h"]), int(match["m"])) if match["h"] else time(0)


def _show_start(value: time) -> str:
    return value.strftime("%H:%M")


def _show_end(value: time) -> str:
    return "24:00" if value == time(0) else value.strftime("%H:%M")


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Repeats are dropped: the link tables would refuse [1, 1] with an integrity error.
IdList = Annotated[list[Id], Field(max_length=100), AfterValidator(lambda ids: list(dict.fromkeys(ids)))]
Minutes = Annotated[int, Field(ge=0, le=24 * 60)]
Zone = Annotated[str, Field(max_length=64, examples=["Europe/London"]), AfterValidator(_known_zone)]
# An instant: aware ISO 8601 in, UTC inside.
Instant = Annotated[AwareDatetime, AfterValidator(_utc)]
Day = Annotated[date, AfterValidator(_in_range)]
WallStart = Annotated[
    time, BeforeValidator(lambda v: _wall_time(v, midnight_end=False)), PlainSerializer(_show_start, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "examples": ["09:00"]}),
]
WallEnd = Annotated[
    time, BeforeValidator(lambda v: _wall_time(v, midnight_end=True)), PlainSerializer(_show_end, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", "examples": ["17:00"]}),
]
