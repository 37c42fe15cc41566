"""Stretches named by words: parts of the day ("tonight", "after lunch"), weeks ("next week",
"this week-end", "end of next week", "rest of the week"), months and years, zones, "now"."""
from __future__ import annotations

import re
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from core.timeparse.atoms import EndOfDay, Now, Part, Period, Week, Zone
from core.timeparse.cursor import Cursor
from core.timeparse.lexicon import MONTHS, PART_WORDS, WEAK_MONTHS, WEAK_ZONES, ZONE_NAMES, ZONES
from core.timeparse.tokens import Token

_WEEK_OFFSETS = {"this": 0, "current": 0, "next": 1, "coming": 1, "upcoming": 1, "following": 1,
                 "last": -1, "previous": -1, "past": -1}
_GREETINGS = ("good", "gd")


def part_at(tokens: list[Token], i: int) -> tuple[Part, int] | None:
    """ "tonight", "this morning", "in the afternoon", "monday early morning", "after school"."""
    if i and tokens[i - 1].text in _GREETINGS:
        return None
    cur = Cursor(tokens, i)
    today = cur.accept("this") is not None
    if not today and cur.accept("after"):
        found = cur.accept("lunch", "school", "work")
        return (Part("after_" + found), cur.i) if found else None
    if cur.accept_seq("first", "thing"):
        cur.accept("in") and cur.accept("the")
        cur.accept("morning")
        return Part("early_morning", today), cur.i
    if cur.accept("late"):
        word = cur.accept("tonight", "tonite", "night", "evening")
        return (Part("late_night", today or word in ("tonight", "tonite")), cur.i) if word else None
    cur.accept("in") and cur.accept("the")
    if cur.accept("early"):
        cur.accept("in") and cur.accept("the")
        cur.accept("hours") and cur.accept("of") and cur.accept("the")
        return (Part("early_morning", today), cur.i) if cur.accept("morning") else None
    if cur.accept_seq("early", "hours", "of", "the") and cur.accept("morning"):
        return Part("early_morning", today), cur.i
    word = cur.accept_in(PART_WORDS)
    if word is None:
        return None
    if word == "lunch":
        cur.accept("time")
    return Part(PART_WORDS[word], today or word in ("tonight", "tonite")), cur.i


def week_at(tokens: list[Token], i: int) -> tuple[Week, int] | None:
    """ "next week", "this week-end", "the weekend", "beginning of next week", "rest of the week"."""
    cur = Cursor(tokens, i)
    cur.accept("at")
    cur.accept("the")
    what = "week"
    if cur.accept("beginning", "start"):
        what = "beginning"
    elif cur.accept("end"):
        what = "end"
    elif cur.accept("rest", "remainder"):
        what = "rest"
    if what != "week" and not cur.accept("of"):
        return None
    if what == "week":
        what = {"early": "beginning", "late": "end", "later": "rest"}.get(cur.accept("early", "late", "later"), "week")
    if what == "week" and (cur.accept_seq("week", "after", "next") or cur.accept_seq("the", "week", "after", "next")):
        return Week(2), cur.i
    modifier, weekend = _week_words(cur)
    if modifier is None or weekend and what != "week" or modifier == "" and what == "week" and not weekend:
        return None
    return Week(_WEEK_OFFSETS.get(modifier, 0), "weekend" if weekend else what), cur.i


def _week_words(cur: Cursor) -> tuple[str | None, bool]:
    """ "(the) (this|next|...) week(-end)": (the modifier, "" for none; whether a weekend)."""
    cur.accept("the")
    cur.accept("around")
    modifier = cur.accept(*_WEEK_OFFSETS) or ""
    if cur.accept("weekend", "weekends"):
        return modifier, True
    if not cur.accept("week"):
        return None, False
    mark = cur.i
    if cur.accept("end", "ends") or cur.accept("-") and cur.accept("end", "ends"):
        return modifier, True
    cur.i = mark
    return modifier, False


def period_at(tokens: list[Token], i: int) -> tuple[Period, int] | None:
    """ "next month", "this year", "march", "in june 2027"."""
    cur = Cursor(tokens, i)
    modifier = cur.accept(*_WEEK_OFFSETS)
    unit = cur.accept("month", "year")
    if unit and modifier:
        return Period(unit, _WEEK_OFFSETS[modifier]), cur.i
    cur.i = i
    text = cur.text()
    if text not in MONTHS or text in WEAK_MONTHS:
        return None
    cur.i += 1
    token = cur.digits(4, 4)
    year = token.value if token and 1900 <= token.value <= 2199 else None
    if token and year is None:
        cur.i -= 1
    return Period("month", month=MONTHS[text], year=year), cur.i


_OFFSET = re.compile(r"(\d{1,2})(?::?(\d{2}))?$")


def zone_at(tokens: list[Token], i: int) -> tuple[Zone, int] | None:
    """ "GMT", "(BST)", "UTC+2", "gmt-05:30", "UK time"."""
    cur = Cursor(tokens, i)
    text = cur.text()
    if text in ZONE_NAMES and cur.text(1) == "time":
        return Zone(ZoneInfo(ZONE_NAMES[text])), i + 2
    tz = ZONES.get(text)
    if tz is None:
        return None
    before = tokens[i - 1] if i else None
    if text in WEAK_ZONES and not (before and (before.kind == "num" or before.text in ("am", "pm", "h", "m"))):
        return None
    cur.i += 1
    if text in ("utc", "gmt") and cur.text() in ("+", "-") and cur.glued(1):
        sign = 1 if cur.text() == "+" else -1
        cur.i += 1
        digits = cur.text() + (cur.text(2) if cur.text(1) == ":" else "")
        match = _OFFSET.match(digits)
        if match:
            cur.i += 3 if cur.text(1) == ":" else 1
            minutes = int(match.group(1)) * 60 + int(match.group(2) or 0)
            tz = timezone(sign * timedelta(minutes=minutes))
    return Zone(tz), cur.i


def now_at(tokens: list[Token], i: int) -> tuple[object, int] | None:
    """ "now", "right now", "ASAP", "as soon as possible", "EOD", "end of (the) day"."""
    cur = Cursor(tokens, i)
    if cur.accept("now") or cur.accept_seq("right", "now"):
        return Now(), cur.i
    if cur.accept("asap", "soonest") or cur.accept_seq("as", "soon", "as", "possible"):
        return Now(asap=True), cur.i
    cur.accept("the")
    if cur.accept("earliest") or cur.accept_seq("first", "available"):
        cur.accept("possible", "available")
        cur.accept("slot", "time", "appointment")
        return Now(asap=True), cur.i
    cur.i = i
    if cur.accept_seq("a", ".", "s", ".", "a", ".", "p"):
        cur.accept(".")
        return Now(asap=True), cur.i
    if cur.accept("eod", "cob") or cur.accept_seq("close", "of", "business"):
        return EndOfDay(), cur.i
    if cur.accept_seq("end", "of") and (cur.accept("day") or cur.accept_seq("the", "day")):
        return EndOfDay(), cur.i
    return None
