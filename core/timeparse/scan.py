"""Turn tokens into runs of items: atoms and markers, with only glue words between them.

At each token every recognizer is tried and the longest reading wins (the first listed on a
tie). A token nothing reads is glue ("on", "the", commas) or breaks the run ("haircut").
"""
from __future__ import annotations

from core.timeparse.atoms import Item, Marker
from core.timeparse.clock import clock_at
from core.timeparse.dates import (
    bare_number_at, day_month_at, holiday_at, month_date_at, ordinal_day_at, relative_day_at, weekday_at,
    written_date_at,
)
from core.timeparse.durations import duration_at, offset_at, relative_range_at, span_at
from core.timeparse.periods import now_at, part_at, period_at, week_at, zone_at
from core.timeparse.tokens import Token

RECOGNIZERS = (
    offset_at, relative_range_at, span_at, week_at, relative_day_at, weekday_at, written_date_at,
    month_date_at, day_month_at, ordinal_day_at, holiday_at, clock_at, part_at, period_at, zone_at, now_at,
    duration_at, bare_number_at,
)

# Multi-word markers first: the longest is taken.
MARKERS = (
    (("in", "between"), "between"), (("between",), "between"),
    (("starting", "from"), "from"), (("starting", "at"), "from"), (("starting",), "from"),
    (("from",), "from"), (("later", "than"), "after"), (("not", "before"), "after"),
    (("no", "earlier", "than"), "after"), (("after",), "after"), (("since",), "after"),
    (("but", "before"), "before"), (("earlier", "than"), "before"), (("prior", "to"), "before"),
    (("before",), "before"), (("no", "later", "than"), "by"), (("by",), "by"),
    (("up", "to"), "until"), (("until",), "until"), (("untill",), "until"), (("till",), "until"),
    (("til",), "until"), (("through",), "until"), (("thru",), "until"), (("to",), "to"),
    (("-",), "dash"), (("–",), "dash"), (("—",), "dash"), (("~",), "dash"), (("and",), "and"),
    (("within",), "within"),
)
GLUE = frozenset({
    "the", "on", "at", "@", "in", "of", "for", "around", "about", "approximately", "approx",
    "roughly", "ish", "circa", "say", "t", ",", "(", ")", ".", "!", "?", ":", ";", "'", '"',
})


def scan(tokens: list[Token]) -> list[list[Item]]:
    """The runs of items in the message, in order."""
    runs: list[list[Item]] = []
    run: list[Item] = []
    i = 0
    while i < len(tokens):
        item = _read(tokens, i)
        if item is not None:
            run.append(item)
            i = item.last
            continue
        if tokens[i].text not in GLUE and run:
            runs.append(run)
            run = []
        i += 1
    if run:
        runs.append(run)
    return [run for run in runs if any(not isinstance(item.atom, Marker) for item in run)]


def _read(tokens: list[Token], i: int) -> Item | None:
    best: tuple[object, int] | None = None
    for recognize in RECOGNIZERS:
        found = recognize(tokens, i)
        if found is not None and (best is None or found[1] > best[1]):
            best = found
    if best is not None:
        return Item.of(best[0], tokens, i, best[1])
    for words, kind in MARKERS:
        if all(i + k < len(tokens) and tokens[i + k].text == word for k, word in enumerate(words)):
            return Item.of(Marker(kind), tokens, i, i + len(words))
    return None
