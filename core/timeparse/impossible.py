"""Dates and clock times that do not exist ("30 february", "31 november", "26:00"), named so the
assistant can say so rather than quietly pick another time."""
from __future__ import annotations

from calendar import isleap, monthrange
from datetime import date

from core.timeparse.cursor import Cursor
from core.timeparse.dates import day_number
from core.timeparse.lexicon import MONTHS
from core.timeparse.tokens import Token, tokenize

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def impossible(text: str, *, today: date) -> str | None:
    """ "there is no 30 February" for the first date or clock time in `text` that cannot be, else None."""
    tokens = tokenize(text)
    for check in (lambda i: _bad_date(tokens, i, today), lambda i: _bad_clock(tokens, i)):  # the day first
        for i in range(len(tokens)):
            if found := check(i):
                return found
    return None


def _bad_date(tokens: list[Token], i: int, today: date) -> str | None:
    cur = Cursor(tokens, i)
    day = day_number(cur)
    if day is not None:  # "30 february", "31st of november"
        cur.accept("of")
        month = MONTHS.get(cur.text())
    else:  # "february 30", "november the 31st"
        month = MONTHS.get(cur.text())
        if month is None:
            return None
        cur.i += 1
        cur.accept("the")
        day = day_number(cur)
    if month is None or day is None or day > 31:
        return None
    if day <= monthrange(2000, month)[1] and not (month == 2 and day == 29 and not _leap_ahead(today)):
        return None
    if month == 2 and day == 29:
        return f"there is no 29 February in {today.year if today.month <= 2 else today.year + 1}"
    return f"there is no {day} {MONTH_NAMES[month - 1]}"


def _leap_ahead(today: date) -> bool:
    """Whether the next 29 February to come is within a year (the one a client would mean)."""
    return isleap(today.year) and today.month <= 2 or isleap(today.year + 1) and today.month > 2


def _bad_clock(tokens: list[Token], i: int) -> str | None:
    """ "26:00", "9:75": hours past 24, minutes past 59."""
    if i + 2 >= len(tokens) or tokens[i].kind != "num" or tokens[i + 1].text != ":" or tokens[i + 2].kind != "num":
        return None
    hour, minute = tokens[i].value, tokens[i + 2].value
    if len(tokens[i].text) > 2 or len(tokens[i + 2].text) != 2:
        return None
    if hour > 24 or minute > 59 or hour == 24 and minute:
        return f"there is no {tokens[i].text}:{tokens[i + 2].text} on the clock"
    return None
