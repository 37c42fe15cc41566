"""Time understanding for bookings: a phrase in, an instant or an interval out, in the client's zone.

    parse_time("tomorrow after 4", now=datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("Europe/London")))
    # TimeValue(kind="interval", start=2026-11-26 16:00+00:00, end=None, grain="hour")
    find_time("a haircut with Sam tomorrow after 4", now=...)
    # (that value, (19, 35)): the characters of "tomorrow after 4"

A hand-written grammar, pure Python and the standard library's `zoneinfo`: a tokenizer
(`tokens`), recognizers for the pieces of a phrase (`clock`, `dates`, `durations`,
`periods`), the rules that combine them (`scan`, `grammar`) and the arithmetic that turns
them into datetimes (`resolve`, `evaluate`, `calendar`). `find_time` also finds the phrase
inside a longer message and says where it was, so the conversation can strip it.

Conventions (where Duckling, whose English corpus measures this module, reads otherwise,
the corpus marks the phrase `contested` or the difference is noted here):

- The future is preferred: a time with no day that has passed today is tomorrow ("at 3am"
  at 04:30 is tomorrow 03:00), a date that has passed this year is next year, a bare
  weekday is never today. A day that is named is kept even when it has passed: "this
  morning at 3", said at 04:30, is today 03:00 (Duckling: tomorrow 03:00; contested).
- Booking sense for an hour without am/pm: 1-7 are pm, 8-11 am, 12 noon ("at 3" is 15:00,
  "half 3" 15:30, "between 2 and 4" 14:00-16:00, "11:30-1:30" 11:30-13:30). So
  "tomorrow at 150ish" is 13:50 and "tomorrow in between 1-2:30" 13:00-14:30 (Duckling:
  01:50 and 01:00-02:30; both contested), and a lone "7" is 19:00 (Duckling: 07:00).
  A part of the day decides instead when one is said: morning am; afternoon, evening and
  tonight pm ("tonight at 2" is 14:00, as in Duckling); 12 is noon in the morning and
  afternoon ("this afternoon at 12", Duckling: midnight; contested) and midnight in the
  evening. Times written the 24-hour way ("15h", "3h18", "07:00") are taken as written.
- "next <weekday>" is that weekday in next week ("next wednesday" on a Tuesday is 8 days
  on), "this <weekday>" the coming one, "monday week" and "friday after next" the one
  after the coming one.
- Intervals end exclusively. A range that ends on a clock time ends at that time ("3-4pm"
  is 15:00-16:00; Duckling 15:00-17:00 at hour grain); one that ends on a day includes it
  ("July 13-15" ends on July 16 00:00). "4pm for 30 mins" is 16:00-16:30 and "from 18th Dec
  for 10 days" Dec 18-28 (Duckling adds one unit of grain: 16:31, Dec 29).
- Open intervals: "after 5" starts at 17:00 with no end; "before 11am", "until 2pm" end
  there with no start; "by 2pm" runs from now to 14:00, "by friday" to the end of Friday.
- "next 3 hours/days/weeks" are the whole units after the current one (Duckling's reading).
  "in 2 hours" is elapsed time; "in 2 days" keeps the wall clock across a DST change. A wall
  time that DST skips (01:30 on the spring-forward day in London) moves on by the gap.
- Zone abbreviations have one fixed offset each (BST +01:00, IST +05:30, CET +01:00,
  PST -08:00, ...) and the result is converted into the client's zone.
- Slashed dates are month first ("2/15", "4/25"), day first when the first number cannot be
  a month ("25/4"); dotted dates are day first ("25.12.2026"). "2-15" is a date; "2-4", where
  both could be hours, is nothing on its own (but "between 2 and 4", "10 till 2", "2-4pm" are
  ranges). A weekday said with a date picks the first such date on that weekday within two
  years ("Fri, Jul 18"); if there is none the weekday is taken for a slip and the date kept.
- Bare numbers ("7", "3 30", "ten thirty", "7a", "the 24") are times only when the caller
  says the whole message answers a question about time (`latent=True`, Duckling's option of
  that name); otherwise "1 adult" or "25" must not become a time.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from core.timeparse.atoms import Item, Marker
from core.timeparse.evaluate import evaluate
from core.timeparse.grammar import build
from core.timeparse.impossible import impossible
from core.timeparse.resolve import Context
from core.timeparse.scan import scan
from core.timeparse.tokens import Token, tokenize
from core.timeparse.value import TimeValue

__all__ = ["TimeValue", "find_time", "impossible", "parse_time", "zone_from"]

CharSpan = tuple[int, int]
_OFFSET_ZONE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_MAX_SLICE = 8
_LEADING_WORDS = ("on", "at", "for", "around", "in", "@")


def parse_time(text: str, *, now: datetime, tz: tzinfo | str | None = None, latent: bool = False) -> TimeValue | None:
    """The time `text` names, read at `now` in zone `tz` (default: now's zone); None when it names none.

    `latent=True` says the whole message is an answer to "what time?", so that a bare
    number ("7", "ten thirty") is read as a time too."""
    found = find_time(text, now=now, tz=tz, latent=latent)
    return found[0] if found else None


def find_time(text: str, *, now: datetime, tz: tzinfo | str | None = None,
              latent: bool = False) -> tuple[TimeValue, CharSpan] | None:
    """The time named in a longer message and the (start, end) character span of its words,
    e.g. "a haircut with Sam tomorrow after 4" -> (open interval from tomorrow 16:00, (20, 36))."""
    ctx = _context(now, tz)
    tokens = tokenize(text)
    best: tuple[int, TimeValue, CharSpan] | None = None
    for run in scan(tokens):
        found = _read_run(run, tokens, ctx, latent)
        if found and (best is None or found[0] > best[0]):
            best = found
    return (best[1], best[2]) if best else None


def zone_from(tz: tzinfo | str | None, fallback: tzinfo | None = None) -> tzinfo:
    """An IANA name ("Europe/London"), a fixed offset ("+05:30", "-02:00", "UTC") or a tzinfo."""
    if isinstance(tz, tzinfo):
        return tz
    if tz is None:
        return fallback or UTC
    text = tz.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = _OFFSET_ZONE.match(text)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    return ZoneInfo(text)


def _context(now: datetime, tz: tzinfo | str | None) -> Context:
    zone = zone_from(tz, now.tzinfo)
    local = now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)
    return Context(local, zone)


def _read_run(run: list[Item], tokens: list[Token], ctx: Context,
              latent: bool) -> tuple[int, TimeValue, CharSpan] | None:
    """The widest part of a run that makes a time: the whole run, else its longest slice that does
    (slices of at most _MAX_SLICE items, so that a long list of numbers stays cheap)."""
    for length in (len(run), *range(min(len(run) - 1, _MAX_SLICE), 0, -1)):
        for first in range(len(run) - length + 1):
            part = _trim(run[first:first + length])
            if not part or len(part) < length and length != len(run):
                continue
            expr = build(part, tokens, latent)
            value = evaluate(expr, ctx) if expr is not None else None
            if value is not None:
                atoms = sum(not isinstance(item.atom, Marker) for item in part)
                return atoms, value, (_span_start(part[0], tokens), part[-1].end)
    return None


def _span_start(first: Item, tokens: list[Token]) -> int:
    """Where the phrase starts, with the preposition that leads it ("on friday", "in march")."""
    before = tokens[first.first - 1] if first.first else None
    return before.start if before is not None and before.text in _LEADING_WORDS else first.start


def _trim(items: list[Item]) -> list[Item]:
    """Drop markers that hang off the ends of a slice ("tomorrow and" -> "tomorrow")."""
    first, last = 0, len(items)
    while first < last and isinstance(items[first].atom, Marker) and items[first].atom.kind in ("to", "dash", "and"):
        first += 1
    while last > first and isinstance(items[last - 1].atom, Marker):
        last -= 1
    return items[first:last]
