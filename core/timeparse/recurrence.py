"""Recurrence phrases: "every Tuesday at 10 for 6 weeks", "every other Friday at 4 until March",
"same time every week". Pure functions over the message, like the rest of `core.timeparse`.

`read_repeat` finds how often (`weeks` apart), how long (`count` times, or `until` an instant the
time grammar reads, exclusive) and whether "same time" is meant; it blanks those words out of the
message (`rest`, same length, so positions still index the original) and leaves the weekday and
clock to the time grammar: "every Tuesday at 10 for 6 weeks" leaves "Tuesday at 10", which
`find_time` reads as the first occurrence.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from core.timeparse import find_time

__all__ = ["Repeat", "count_of", "read_repeat"]

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12}
_N = r"\d{1,2}|" + "|".join(NUMBERS)
_DAY = r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
# "every tuesday" keeps "tuesday" for the grammar; "every week", "every 2 weeks" go whole.
_EVERY = re.compile(rf"\b(?:every|each)\s+(?:(?P<other>other|second|2nd)\s+|(?P<n>{_N})\s+)?"
                    rf"(?:(?P<week>weeks?)\b|(?=(?:{_DAY})s?\b))")
_WEEKLY = re.compile(r"\b(?P<word>weekly|fortnightly|once a week|once a fortnight|every fortnight)\b")
_FOR = re.compile(rf"\b(?:for\s+(?:the\s+next\s+)?)?(?P<n>{_N})\s+(?P<unit>weeks?|sessions?|times|visits?|"
                  rf"appointments?|fortnights?)\b")
_PLURAL_DAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days\b")
_UNTIL = re.compile(r"\b(?:until|till|til|up to|through|to the end of)\s+")
_SAME_TIME = re.compile(r"\bsame (?:time|slot)\b")
_COUNT_ONLY = re.compile(rf"^\s*(?:for\s+)?(?P<n>{_N})(?:\s+(?:weeks?|times|sessions?))?\s*(?:please)?[.!]?\s*$")
MAX_COUNT = 52


@dataclass(frozen=True)
class Repeat:
    """How a booking repeats: every `weeks` weeks, `count` times or until `until` (None: not said)."""

    weeks: int
    count: int | None
    until: datetime | None
    same_time: bool
    rest: str  # the message with the recurrence words blanked out


def read_repeat(text: str, *, now: datetime, tz: tzinfo) -> Repeat | None:
    """The recurrence the message asks for (lower-cased text), or None when it asks for none."""
    every, weekly = _EVERY.search(text), _WEEKLY.search(text)
    spans, weeks = [], 1
    if every is not None:
        spans.append(every.span())
        weeks = 2 if every["other"] else _number(every["n"]) if every["n"] and every["week"] else 1
    if weekly is not None:
        spans.append(weekly.span())
        weeks = 2 if "fortnight" in weekly["word"] else weeks
    lasting = _FOR.search(_blank(text, spans))  # not the "2 weeks" of "every 2 weeks"
    if every is None and weekly is None and not (_PLURAL_DAY.search(text) and lasting):
        return None
    count = None
    if lasting is not None:
        spans.append(lasting.span())
        n, unit = _number(lasting["n"]), lasting["unit"]
        count = math.ceil(n / weeks) if unit.startswith("week") else n * 2 // weeks if unit.startswith("fortnight") \
            else n
    until, until_span = _until(text, now, tz)
    if until_span is not None:
        spans.append(until_span)
    # "tuesdays" is read as "tuesday": the first of them
    rest = _PLURAL_DAY.sub(lambda m: m[0][:-1] + " ", _blank(text, spans))
    return Repeat(weeks=max(1, min(weeks, 4)), count=None if count is None else max(1, min(count, MAX_COUNT)),
                  until=until, same_time=bool(_SAME_TIME.search(text)), rest=rest)


def count_of(text: str) -> int | None:
    """How many times, when that is all a message says: "6", "six weeks", "for 4 weeks"."""
    match = _COUNT_ONLY.match(text.lower())
    return None if match is None else max(1, min(_number(match["n"]), MAX_COUNT))


def _until(text: str, now: datetime, tz: tzinfo) -> tuple[datetime | None, tuple[int, int] | None]:
    """ "until March": the end of the time the grammar reads after the word (exclusive), and its span."""
    word = _UNTIL.search(text)
    if word is None:
        return None, None
    found = find_time(text[word.end():], now=now, tz=tz)
    if found is None or found[1][0] != 0:
        return None, None
    value, (_, end) = found
    if value.end is not None:
        until = value.end
    elif value.start is not None:
        until = value.start + (timedelta(days=1) if value.grain in ("day", "hour", "minute") else timedelta(0))
    else:
        return None, None
    if value.start is not None and value.end is None and value.grain == "month":
        until = _next_month(value.start)
    return until, (word.start(), word.end() + end)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _next_month(start: datetime) -> datetime:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word]
