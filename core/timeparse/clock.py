"""Clock times: "3pm", "15:30", "15h", "half past 3", "a quarter to noon", "ten thirty", "noon".

A clock is *weak* when it is only a number pattern that could be something else ("1030",
"ten thirty", "3 15", "7a"): it becomes a time only with a cue ("at", "around"), next to a
day or a part of the day, or when the whole message is that time (latent mode).
"""
from __future__ import annotations

from dataclasses import replace

from core.timeparse.atoms import Clock
from core.timeparse.cursor import Cursor
from core.timeparse.lexicon import ORDINAL_SUFFIXES, TENS_WORDS, UNITS_WORDS, ZERO_WORDS
from core.timeparse.tokens import Token

CUES = ("at", "@", "around", "approximately", "approx", "roughly", "circa")
_MINUTE_WORDS = ("minutes", "minute", "mins", "min")
_NOON = ("noon", "midday")


def clock_at(tokens: list[Token], i: int) -> tuple[Clock, int] | None:
    """The clock time that starts at token `i`, with the index after it."""
    cur = Cursor(tokens, i)
    cued = _cue(cur)
    start = cur.i
    in_range = i > 0 and tokens[i - 1].text in ("from", "between")
    for form in (_special, lambda c: _relative(c, in_range), _half_hour, _digits, _words):
        cur.i = start
        clock = form(cur)
        if clock is not None:
            break
    else:
        cur.i = start
        clock = _cued_hour(cur) if cued else None
    if clock is None:
        return None
    cur.accept("ish", "approximately", "approx", "sharp")
    return (replace(clock, weak=False) if cued else clock), cur.i


def _cue(cur: Cursor) -> bool:
    if cur.accept_seq("at", "about") or cur.accept_seq("at", "around"):
        return True
    return cur.accept(*CUES) is not None


def _cued_hour(cur: Cursor) -> Clock | None:
    """ "at 3", "at three": a bare hour after a cue."""
    token = cur.peek()
    if token and token.kind == "num" and len(token.text) <= 2 and token.value <= 24:
        cur.i += 1
        return Clock(token.value, h24=token.value > 12 or token.text.startswith("0"))
    hour = cur.word_number(12)
    return Clock(hour) if hour else None


def meridiem(cur: Cursor) -> tuple[str, bool] | None:
    """ "pm", "p.m.", "p m", "in the pm", glued "p": (am|pm, whether it was a full word)."""
    start = cur.i
    word = cur.accept("am", "pm")
    if word:
        cur.accept_glued(".")
        return word, True
    letter = cur.accept("a", "p")
    if letter:
        half = "am" if letter == "a" else "pm"
        glued = cur.peek(-1).glued
        if cur.accept_glued(".") and cur.accept_glued("m") or cur.accept("m"):
            cur.accept_glued(".")
            return half, True
        if glued:
            cur.i = start + 1
            cur.accept_glued(".")
            return half, False
        cur.i = start
        return None
    if cur.accept_seq("in", "the"):
        result = meridiem(cur)
        if result:
            return result
    cur.i = start
    return None


def _oclock(cur: Cursor) -> bool:
    return bool(cur.accept("oclock") or cur.accept_seq("o", "'", "clock") or cur.accept_seq("o", "clock"))


def _finish(cur: Cursor, clock: Clock) -> Clock | None:
    """Read a meridiem after `clock`: a full one makes it strong, a glued letter ("7p") does not."""
    cur.accept("ish")
    found = meridiem(cur)
    if found is None:
        return clock
    half, full = found
    if not 1 <= clock.hour <= 12:
        return clock if clock.h24 else None
    weak = not full and (clock.weak or clock.grain == "hour")
    return replace(clock, meridiem=half, weak=weak, h24=False)


def _special(cur: Cursor) -> Clock | None:
    start = cur.i
    cur.accept("the")
    cur.accept("12", "twelve")
    if cur.accept(*_NOON) or cur.accept_seq("mid", "day"):
        return Clock(12, h24=True)
    if cur.accept("midnight"):
        return Clock(0, h24=True, midnight=True)
    cur.i = start
    return None


def _relative(cur: Cursor, in_range: bool = False) -> Clock | None:
    """ "a quarter past 3pm", "20 minutes to 2pm", "twenty after 3pm", "ten to four"."""
    cur.accept("a")
    worded = cur.kind() == "word"
    minutes_word = False
    if cur.accept("quarter"):
        amount, fixed = 15, True
    elif cur.accept("half"):
        amount, fixed = 30, True
    elif cur.accept_seq("three", "quarters") or cur.accept_seq("three", "-", "quarters"):
        amount, fixed = 45, True
    else:
        amount, fixed = cur.number(59), False
        if amount is None:
            return None
        minutes_word = cur.accept(*_MINUTE_WORDS) is not None
    direction = cur.accept("past", "after", "to", "till", "til", "before", "of", "from")
    if direction is None or direction == "from" and not minutes_word:
        return None
    bare_digit = cur.kind() == "num"
    base = _base_hour(cur)
    if base is None:
        return None
    bare_digit = bare_digit and base.meridiem is None and cur.peek(-1).kind == "num"
    sign = 1 if direction in ("past", "after", "from") else -1
    # "3 to 4pm", "13 to 15 July" and "from five to seven" are ranges, not 15:57, 14:47, 18:55;
    # "twenty to 3" and "ten to four" are 14:40 and 15:50.
    spoken = worded and not in_range and amount in (5, 10, 20, 25)
    if sign < 0 and not (fixed or minutes_word or spoken or amount > 12 and (worded or not bare_digit)):
        return None
    return _shift(base, sign * amount)


def _base_hour(cur: Cursor) -> Clock | None:
    special = _special(cur)
    if special is not None:
        return special
    token = cur.peek()
    if token and token.kind == "num" and len(token.text) <= 2 and token.value <= 24:
        cur.i += 1
        if cur.accept_glued("h"):
            return Clock(token.value, h24=True, grain="minute")
        hour = token.value
    else:
        hour = cur.word_number(12)
        if hour is None:
            return None
    if cur.text() in (":", "h") or cur.text() in ORDINAL_SUFFIXES and cur.glued():
        return None
    _oclock(cur)
    return _finish(cur, Clock(hour, h24=hour > 12))


def _shift(base: Clock, minutes: int) -> Clock:
    if base.h24 or base.midnight or base.meridiem:
        hour = base.hour % 12 + (12 if base.meridiem == "pm" else 0) if base.meridiem else base.hour
        total = (hour * 60 + minutes) % 1440
        return Clock(total // 60, total % 60, grain="minute", h24=True)
    total = ((base.hour % 12) * 60 + minutes) % 720
    return Clock(total // 60 or 12, total % 60, grain="minute")


def _half_hour(cur: Cursor) -> Clock | None:
    """British "half 3": 3:30."""
    if not cur.accept("half"):
        return None
    token = cur.peek()
    if token and token.kind == "num" and len(token.text) <= 2 and 1 <= token.value <= 12:
        cur.i += 1
        hour = token.value
    else:
        hour = cur.word_number(12)
        if hour is None:
            return None
    if cur.text() in (":", "h", "/", "."):
        return None
    return _finish(cur, Clock(hour, 30, grain="minute"))


def _digits(cur: Cursor) -> Clock | None:
    token = cur.digits(1, 4)
    if token is None:
        return None
    if len(token.text) > 2:
        return _hhmm(cur, token)
    hour, zero = token.value, token.text.startswith("0") and len(token.text) == 2
    if hour > 24:
        return None
    if cur.text() in (":", ".") and cur.glued() and cur.kind(1) == "num" and len(cur.text(1)) == 2 and cur.glued(1):
        dot = cur.text() == "."
        cur.i += 1
        minute = cur.digits().value
        second, grain = 0, "minute"
        if not dot and cur.text() == ":" and cur.glued() and len(cur.text(1)) == 2 and cur.glued(1):
            cur.i += 1
            second, grain = cur.digits().value, "second"
        if minute > 59 or second > 59:
            return None
        clock = Clock(hour, minute, second, grain=grain, h24=hour > 12 or hour == 0 or zero, weak=dot)
        return _finish(cur, clock)
    if cur.accept_glued("h"):
        minute = cur.digits(2, 2) if cur.glued() else None
        if minute is not None and minute.value > 59:
            return None
        return Clock(hour, minute.value if minute else 0, grain="minute", h24=True)
    if _oclock(cur):
        return _finish(cur, Clock(hour, h24=hour > 12))
    pair = cur.peek()
    if pair and pair.kind == "num" and len(pair.text) == 2 and not pair.glued and pair.value <= 59:
        cur.i += 1
        return _finish(cur, Clock(hour, pair.value, grain="minute", h24=hour > 12 or zero, weak=True))
    clock = _finish(cur, Clock(hour, h24=hour > 12 or zero, weak=True))
    return clock if clock is not None and clock.meridiem else None


def _hhmm(cur: Cursor, token: Token) -> Clock | None:
    """ "1030", "730", "0930": hours and minutes run together."""
    hour, minute = divmod(token.value, 100)
    if minute > 59 or hour > 23:
        return None
    h24 = len(token.text) == 4 and (hour > 12 or token.text.startswith("0"))
    return _finish(cur, Clock(hour, minute, grain="minute", h24=h24, weak=True))


def _words(cur: Cursor) -> Clock | None:
    """ "ten thirty", "twelve oh three", "nine fifty nine a m", "three am", "three o'clock"."""
    text = cur.text()
    hour = UNITS_WORDS.get(text)
    if hour is None or not 1 <= hour <= 12:
        return None
    cur.i += 1
    if _oclock(cur):
        return _finish(cur, Clock(hour))
    mark = cur.i
    cur.accept("-")
    minute = _minute_words(cur)
    if minute is None:
        cur.i = mark
        clock = _finish(cur, Clock(hour, weak=True))
        return clock if clock is not None and clock.meridiem and not clock.weak else None
    return _finish(cur, Clock(hour, minute, grain="minute", weak=True))


def _minute_words(cur: Cursor) -> int | None:
    start = cur.i
    text = cur.text()
    if text in ZERO_WORDS and cur.text(1) not in ("'", "clock"):
        cur.i += 1
        cur.accept("-")
        unit = UNITS_WORDS.get(cur.text())
        if unit is not None and 1 <= unit <= 9:
            cur.i += 1
            return unit
    elif text in TENS_WORDS:
        value = cur.word_number(59)
        if value is not None:
            return value
    elif text in UNITS_WORDS and 10 <= UNITS_WORDS[text] <= 19:
        cur.i += 1
        return UNITS_WORDS[text]
    cur.i = start
    return None
