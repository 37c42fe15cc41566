"""Amounts of time and what is done with them: "in 2 hours", "a week hence", "2 minutes from
now", "for 30 mins", "next 3 days", "in 15" (minutes), "in 2 and an half hours"."""
from __future__ import annotations

from core.timeparse.atoms import Duration, Offset, RelRange, Span
from core.timeparse.cursor import Cursor
from core.timeparse.lexicon import UNITS
from core.timeparse.tokens import Token

_SHORT_UNITS = {"h", "m", "s", "'"}   # units that must touch their number ("1h", "15'")
_HEDGES = ("about", "around", "approximately", "approx", "roughly", "just", "another", "only")


def duration(cur: Cursor) -> Duration | None:
    """An amount and a unit, or nothing consumed."""
    start = cur.i
    amount, loose = _amount(cur)
    if amount is None:
        cur.i = start
        return None
    amount += _and_a_half(cur)
    cur.accept("more", "extra")
    unit = _unit(cur, loose)
    if unit is None:
        cur.i = start
        return None
    amount += _and_a_half(cur)
    if unit == "fortnight":
        amount, unit = amount * 14, "day"
    return Duration(amount, unit)


def _amount(cur: Cursor) -> tuple[float | None, bool]:
    """(amount, whether a spaced short unit like "1/4 h" may follow)."""
    if cur.accept("a", "an"):
        if cur.accept("couple", "pair"):
            cur.accept("of")
            return 2, False
        if cur.accept("few"):
            return 3, False
        fraction = _fraction_word(cur)
        return (fraction if fraction is not None else 1), True
    if cur.accept("couple"):
        cur.accept("of")
        return 2, False
    if cur.accept("few", "several"):
        return 3, False
    fraction = _fraction_word(cur)
    if fraction is not None:
        return fraction, True
    token = cur.digits(1, 4)
    if token is None:
        value = cur.word_number(99)
        return value, False
    if cur.text() in (".", "/") and cur.glued() and cur.kind(1) == "num" and cur.glued(1):
        divide = cur.text() == "/"
        cur.i += 1
        other = cur.digits()
        if divide:
            return (token.value / other.value if other.value else None), True
        return float(f"{token.text}.{other.text}"), True
    return token.value, False


def _fraction_word(cur: Cursor) -> float | None:
    start = cur.i
    if cur.accept("half"):
        cur.accept("a", "an")
        return 0.5
    value = None
    if cur.accept("quarter"):
        value = 0.25
    elif cur.accept_seq("three", "quarters") or cur.accept_seq("three", "-", "quarters"):
        value = 0.75
    if value is None:
        cur.i = start
        return None
    cur.accept("of")
    cur.accept("a", "an")
    return value


def _and_a_half(cur: Cursor) -> float:
    if cur.accept_seq("and", "a", "half") or cur.accept_seq("and", "an", "half"):
        return 0.5
    return 0.0


def _unit(cur: Cursor, loose: bool) -> str | None:
    text = cur.text()
    unit = UNITS.get(text)
    if unit is None:
        return None
    if text in _SHORT_UNITS and not (cur.glued() or loose and text == "h"):
        return None
    cur.i += 1
    return unit


def offset_at(tokens: list[Token], i: int) -> tuple[Offset, int] | None:
    """ "in 2 hours", "in 15", "a day from now", "a week hence", "3 days ago"."""
    cur = Cursor(tokens, i)
    if cur.accept("in"):
        cur.accept(*_HEDGES)
        found = duration(cur)
        if found is not None:
            return Offset(found), cur.i
        token = cur.digits(1, 2)
        if token and 1 <= token.value <= 59 and cur.text() not in (":", "h", "/", "-", "."):
            return Offset(Duration(token.value, "minute")), cur.i
        return None
    cur.i = i
    found = duration(cur)
    if found is None:
        return None
    if cur.accept_seq("from", "right", "now"):
        return Offset(found, precise=True), cur.i
    if cur.accept_seq("from", "now") or cur.accept_seq("from", "today") or cur.accept("hence", "later"):
        return Offset(found), cur.i
    if cur.accept("ago"):
        return Offset(Duration(-found.amount, found.unit)), cur.i
    return None


def span_at(tokens: list[Token], i: int) -> tuple[Span, int] | None:
    """ "for 30 mins", "for 10 days": how long, from a start said elsewhere."""
    cur = Cursor(tokens, i)
    if not cur.accept("for"):
        return None
    found = duration(cur)
    return (Span(found), cur.i) if found is not None else None


def duration_at(tokens: list[Token], i: int) -> tuple[Duration, int] | None:
    """A bare amount of time, for "after 5 days" and "within 2 weeks"."""
    cur = Cursor(tokens, i)
    found = duration(cur)
    return (found, cur.i) if found is not None else None


def relative_range_at(tokens: list[Token], i: int) -> tuple[RelRange, int] | None:
    """ "next 3 days", "the next few hours", "next three weeks"."""
    cur = Cursor(tokens, i)
    cur.accept("over", "during", "in", "for", "within")
    cur.accept("the")
    if not cur.accept("next", "coming", "following"):
        return None
    if cur.accept("few", "several"):
        count = 3
    elif cur.accept("couple"):
        cur.accept("of")
        count = 2
    else:
        count = cur.number(999)
    unit = UNITS.get(cur.text())
    if count is None or unit is None or cur.text() in ("'", "h", "m", "s"):
        return None
    cur.i += 1
    if unit == "fortnight":
        count, unit = count * 2, "week"
    return RelRange(count, unit), cur.i
