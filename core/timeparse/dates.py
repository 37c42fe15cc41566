"""Days: "march 3", "3rd of March 2015", "2/15", "2015-03-03", "the 15th", "20 of next month",
weekdays with their anchors ("next tuesday", "friday after next", "monday week",
"3 fridays from now") and relative days ("today", "the day after tomorrow")."""
from __future__ import annotations

from core.timeparse.atoms import DateSpec, Num, RelDay, Weekday
from core.timeparse.cursor import Cursor
from core.timeparse.lexicon import MONTHS, PLURAL_WEEKDAYS, WEEKDAYS
from core.timeparse.tokens import Token

_MONTH_OFFSETS = {"this": 0, "current": 0, "next": 1, "following": 1, "coming": 1, "last": -1,
                  "previous": -1}
_WORDLIKE_DAYS = ("sun", "sat", "wed", "mon")
_AFTER_WORDLIKE_DAY = ("at", "on", "the", "after", "morning", "afternoon", "evening", "night", "or", "and",
                       "to", "till", "until", "before", "by", "from", "week", "of", "this", "next", "am", "pm",
                       "around", "about", "between", "half", "quarter", "noon", "lunchtime", "first", "early",
                       "late", "anytime")
_TIMEISH = (":", "h", "am", "pm", "a", "p", "oclock", "'")


def written_date_at(tokens: list[Token], i: int) -> tuple[DateSpec, int] | None:
    """ "2015-03-03", "3/3/15", "2/15", "2 / 15", "2-15" (month first, as Duckling and the US read it)."""
    cur = Cursor(tokens, i)
    token = cur.peek()
    if token is None:
        return None
    if token.kind == "date":
        found = _split_written(token.text)
        return (found, i + 1) if found else None
    first = cur.digits(1, 2)
    sep = first and cur.accept("/", "-")
    second = sep and cur.digits(1, 2)
    if not second or cur.text() in _TIMEISH and cur.glued() or cur.text() in MONTHS or cur.text() == "of":
        return None
    month, day = first.value, second.value
    if sep == "-" and (month > 12 or day <= 12):
        return None  # "3-4" is a range of hours; "2-15" is February 15
    if month > 12:
        month, day = day, month
    return (DateSpec(day, month), cur.i) if _valid(day, month) else None


def _split_written(text: str) -> DateSpec | None:
    parts = [int(part) for part in text.replace("/", "-").replace(".", "-").split("-")]
    if len(text.split("-")[0]) == 4:
        year, month, day = parts
    elif "." in text:
        day, month, year = parts  # 25.12.2026: dots are written day first
    else:
        month, day, year = parts
        if month > 12:
            month, day = day, month
    year += 2000 if year < 100 else 0
    return DateSpec(day, month, year) if _valid(day, month) else None


def _valid(day: int, month: int | None) -> bool:
    return 1 <= day <= 31 and (month is None or 1 <= month <= 12)


def month_date_at(tokens: list[Token], i: int) -> tuple[DateSpec, int] | None:
    """ "march 3", "february the 15th", "April 14, 2015", "Feb13", "march first"."""
    cur = Cursor(tokens, i)
    month = MONTHS.get(cur.text())
    if month is None:
        return None
    cur.i += 1
    cur.accept(".")
    cur.accept("the")
    day = day_number(cur)
    if day is None:
        return None
    year = _year(cur)
    return DateSpec(day, month, year), cur.i


def day_month_at(tokens: list[Token], i: int) -> tuple[DateSpec, int] | None:
    """ "the 1st of march", "15 of february", "4th of July", "14april 2015", "14th April 15"."""
    cur = Cursor(tokens, i)
    cur.accept("the")
    day = day_number(cur)
    if day is None:
        return None
    cur.accept("of")
    month = MONTHS.get(cur.text())
    if month is None:
        return None
    cur.i += 1
    cur.accept_glued(".")
    year = _year(cur, short=True)
    return DateSpec(day, month, year), cur.i


def day_number(cur: Cursor) -> int | None:
    start = cur.i
    day = cur.ordinal()
    if day is None:
        token = cur.digits(1, 2)
        day = token.value if token else None
    if day is None or not 1 <= day <= 31 or cur.text() in _TIMEISH and cur.glued():
        cur.i = start
        return None
    return day


def _year(cur: Cursor, short: bool = False) -> int | None:
    start = cur.i
    cur.accept(",")
    token = cur.digits(2, 4)
    is_year = token and (len(token.text) == 4 and 1900 <= token.value <= 2199 or short and len(token.text) == 2)
    if is_year and not (cur.text() in _TIMEISH and cur.glued() or cur.text() in (":", "h")):
        return token.value + (2000 if token.value < 100 else 0)
    cur.i = start
    return None


def ordinal_day_at(tokens: list[Token], i: int) -> tuple[DateSpec, int] | None:
    """ "on the 15th", "the 1st", "On 24th", "20th day of next month"; "the 24" is weak."""
    cur = Cursor(tokens, i)
    on = cur.accept("on") is not None
    the = cur.accept("the") is not None
    numeric = cur.kind() == "num"
    day = cur.ordinal()
    ordinal = day is not None
    if day is None:
        token = cur.digits(1, 2)
        day = token.value if token else None
    if day is None or not 1 <= day <= 31 or cur.text() in _TIMEISH and cur.glued():
        return None
    mark = cur.i
    if cur.text() in MONTHS or cur.text() == "of" and cur.text(1) in MONTHS:
        return None  # "on 19 January": the day and month together are `day_month_at`'s
    cur.accept("day")
    if cur.accept("of"):
        cur.accept("the")
        offset = _MONTH_OFFSETS.get(cur.text())
        if offset is not None and cur.text(1) == "month":
            cur.i += 2
            return DateSpec(day, month_offset=offset), cur.i
    cur.i = mark
    if not (on or the) or not ordinal and cur.text() in ("-", "to", "/", "and"):
        return None
    return DateSpec(day, weak=not (on or the and ordinal and numeric)), cur.i


def relative_day_at(tokens: list[Token], i: int) -> tuple[RelDay, int] | None:
    cur = Cursor(tokens, i)
    cur.accept("the")
    if cur.accept("day"):
        if cur.accept("after") and cur.accept("tomorrow", "tmrw", "tomorow"):
            return RelDay(2), cur.i
        if cur.accept("before") and cur.accept("yesterday"):
            return RelDay(-2), cur.i
        return None
    word = cur.accept("today", "tomorrow", "tomorrows", "tmrw", "tmr", "tomorow", "2moro", "yesterday")
    if word is None:
        return None
    return RelDay({"today": 0, "yesterday": -1}.get(word, 1)), cur.i


def weekday_at(tokens: list[Token], i: int) -> tuple[Weekday, int] | None:
    """A weekday and its anchor words on either side."""
    cur = Cursor(tokens, i)
    counted = _counted_weekdays(cur)
    if counted:
        return counted, cur.i
    cur.i = i
    before = cur.accept("this", "next", "coming", "last", "upcoming", "following")
    if before is None and cur.accept_seq("the", "following"):
        before = "following"
    day = WEEKDAYS.get(cur.text())
    if day is None or cur.text() in _WORDLIKE_DAYS and not before and cur.kind(1) == "word" \
            and cur.text(1) not in _AFTER_WORDLIKE_DAY:
        return None  # "sun cream", "sat nav", "wed like to"
    cur.i += 1
    cur.accept_glued(".")
    mode = {"this": "this", "next": "next", "last": "last"}.get(before or "", "bare")
    return Weekday(day, _after_weekday(cur, mode)), cur.i


def _after_weekday(cur: Cursor, mode: str) -> str:
    """ "after next", "of next week", "next week", "this week", "week" (as in "monday week")."""
    if cur.accept_seq("after", "next"):
        return "skip"
    mark = cur.i
    cur.accept("of")
    which = cur.accept("this", "next", "current", "the")
    if which == "the":
        which = "next" if cur.accept("following", "next") else None
    if which and cur.accept("week"):
        return "next_week" if which == "next" else "this_week"
    cur.i = mark
    if mode == "bare" and cur.text() == "week" and cur.text(1) not in ("-", "end", "ends"):
        cur.i += 1
        return "skip"
    return mode


def _counted_weekdays(cur: Cursor) -> Weekday | None:
    """ "3 fridays from now", "two sundays from now"."""
    count = cur.number(9)
    if count is None or count < 1:
        return None
    day = PLURAL_WEEKDAYS.get(cur.text())
    if day is None:
        return None
    cur.i += 1
    if cur.accept_seq("from", "now") or cur.accept_seq("from", "today") or cur.accept("hence"):
        return Weekday(day, "count", count)
    return None


def bare_number_at(tokens: list[Token], i: int) -> tuple[Num, int] | None:
    """A number nothing else claimed: "3" in "3-4pm", "13" in "from 13 to 15 July", "19th"."""
    cur = Cursor(tokens, i)
    token = cur.peek()
    if token is None:
        return None
    if token.kind == "num":
        ordinal = cur.ordinal()
        if ordinal is not None:
            return Num(ordinal, len(token.text), True), cur.i
        cur.i += 1
        return Num(token.value, len(token.text)), cur.i
    value = cur.word_number(31)
    return (Num(value, 0), cur.i) if value is not None else None


# Days a booking client names by their holiday (fixed dates only; movable feasts are not guessed).
_HOLIDAYS = (
    (("christmas", "eve"), (24, 12)), (("xmas", "eve"), (24, 12)), (("christmas", "day"), (25, 12)),
    (("christmas",), (25, 12)), (("xmas",), (25, 12)), (("boxing", "day"), (26, 12)),
    (("new", "year", "s", "eve"), (31, 12)), (("new", "years", "eve"), (31, 12)), (("nye",), (31, 12)),
    (("new", "year", "s", "day"), (1, 1)), (("new", "years", "day"), (1, 1)),
)


def holiday_at(tokens: list[Token], i: int) -> tuple[DateSpec, int] | None:
    """ "christmas eve", "boxing day", "new year's eve": the next such date."""
    words = [token.text for token in tokens[i:i + 6] if token.text not in ("'", "’")]
    for names, (day, month) in _HOLIDAYS:
        if tuple(words[:len(names)]) == names:
            end, matched = i, 0
            while matched < len(names):  # the apostrophe in "year's" is a token of its own
                matched += tokens[end].text not in ("'", "’")
                end += 1
            return DateSpec(day, month), end
    return None
