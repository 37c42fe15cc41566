"""How the items of a run combine: one point, a range, an open interval, a span.

A *point* gathers at most one of each kind of atom ("tomorrow afternoon at 5" is a day, a
part of the day and a clock). A *range* is two points around a separator ("3-4pm",
"between 2 and 4", "from 13 to 15 July") that lend each other what they lack: the day,
the month, am/pm, the zone. Bare numbers become hours or days from their neighbours.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.timeparse.atoms import (
    Clock, DateSpec, Duration, EndOfDay, Item, Marker, Now, Num, Offset, Part, Period, RelDay,
    RelRange, Span, Week, Weekday, Zone,
)
from core.timeparse.scan import GLUE
from core.timeparse.tokens import Token

_FIELDS = {Clock: "clock", DateSpec: "date", RelDay: "relday", Weekday: "weekday", Part: "part",
           Zone: "zone", Week: "week", Period: "period", Offset: "offset", Now: "now",
           EndOfDay: "eod", Duration: "duration"}
_DAY_FIELDS = ("date", "relday", "weekday")
_OPEN = {"after": "after", "from": "after", "before": "before", "until": "until", "by": "by",
         "within": "within"}


@dataclass
class Point:
    clock: Clock | None = None
    date: DateSpec | None = None
    relday: RelDay | None = None
    weekday: Weekday | None = None
    part: Part | None = None
    zone: Zone | None = None
    week: Week | None = None
    period: Period | None = None
    offset: Offset | None = None
    now: Now | None = None
    eod: EndOfDay | None = None
    duration: Duration | None = None
    nums: list[tuple[Num, bool]] = field(default_factory=list)   # (number, a word follows it)

    def has_day(self) -> bool:
        return any(getattr(self, name) for name in _DAY_FIELDS) or bool(self.part and self.part.today)

    def strong(self) -> bool:
        """Whether something here is a time on its own, not just a number that could be one."""
        if self.clock and not self.clock.weak or self.date and not self.date.weak:
            return True
        return any((self.relday, self.weekday, self.part, self.week, self.period, self.offset,
                    self.now, self.eod))

    def context(self) -> bool:
        """Whether a bare number next to this reads as an hour ("9 tomorrow", "8 tonight")."""
        return self.has_day() or bool(self.part or self.zone or self.date)


@dataclass
class Single:
    point: Point


@dataclass
class Range:
    left: Point
    right: Point


@dataclass
class Open:
    kind: str                 # "after" | "before" | "until" | "by" | "within"
    point: Point


@dataclass
class Spanned:
    point: Point
    duration: Duration


@dataclass
class Ranged:
    rel: RelRange


@dataclass
class Shifted:
    """ "a week from tomorrow", "2 hours after 3pm": a point moved on by a duration."""
    point: Point
    duration: Duration


Expr = Single | Range | Open | Spanned | Ranged | Shifted


def build(items: list[Item], tokens: list[Token], latent: bool) -> Expr | None:
    """The meaning of a run of items, or None when they do not make a time."""
    atoms = [item for item in items if not isinstance(item.atom, Marker)]
    kinds = [item.atom.kind for item in items if isinstance(item.atom, Marker)]
    rel = [item.atom for item in atoms if isinstance(item.atom, RelRange)]
    if rel:
        return Ranged(rel[0]) if len(atoms) == 1 else None
    spans = [item for item in atoms if isinstance(item.atom, Span)]
    if spans:
        point = _collect([item for item in atoms if item is not spans[0]], items, tokens)
        if len(spans) > 1 or point is None or not _settle(point, True, latent):
            return None
        return Spanned(point, spans[0].atom.duration)
    split = _range_split(items)
    if split is not None:
        # Words make a range plain ("10 till 2"); a dash between bare numbers ("2-4") may not be one.
        cued = split[2] != "dash" or bool({"between", "from", "after"} & set(kinds))
        return _range(split[0], split[1], items, tokens, cued, latent)
    return _open_or_single(items, atoms, tokens, latent)


def _open_or_single(items: list[Item], atoms: list[Item], tokens: list[Token], latent: bool) -> Expr | None:
    for k, item in enumerate(items[:-2]):
        if isinstance(item.atom, Duration) and _marker(items[k + 1]) in ("from", "after"):
            point = _collect([i for i in items[k + 2:] if not isinstance(i.atom, Marker)], items, tokens)
            if point is None or point.duration or not _settle(point, False, latent):
                return None
            return Shifted(point, item.atom)
    point = _collect(atoms, items, tokens)
    if point is None:
        return None
    for k, item in enumerate(items):
        kind = _OPEN.get(_marker(item))
        if kind and any(not isinstance(later.atom, Marker) for later in items[k + 1:]):
            if point.duration and kind in ("after", "within") and not (point.clock or point.has_day()):
                return Open(kind, point)
            if point.duration or not _settle(point, True, latent):
                return None
            return Open(kind, point)
    if point.duration or not _settle(point, False, latent):
        return None
    return Single(point)


def _collect(atoms: list[Item], items: list[Item], tokens: list[Token]) -> Point | None:
    """Gather atoms into a point; None when two of a kind clash ("3pm 4pm")."""
    point = Point()
    starts = {item.first for item in items}
    for item in atoms:
        atom = item.atom
        if isinstance(atom, Num):
            after = tokens[item.last] if item.last < len(tokens) else None
            blocked = after is not None and after.kind == "word" and after.text not in GLUE \
                and item.last not in starts
            point.nums.append((atom, blocked))
            continue
        name = _FIELDS.get(type(atom))
        if name is None or getattr(point, name) is not None:
            return None
        setattr(point, name, atom)
    if point.date and point.weekday:
        if point.weekday.mode not in ("bare", "this"):
            return None
        point.date = DateSpec(point.date.day, point.date.month, point.date.year, point.weekday.weekday,
                              point.date.month_offset, weak=False)
        point.weekday = None
    if sum(bool(getattr(point, name)) for name in _DAY_FIELDS) > 1:
        return None
    return point


def _settle(point: Point, cued: bool, latent: bool) -> bool:
    """Read the bare numbers of a point as days or hours; False when some number stays unread."""
    for num, blocked in point.nums:
        if num.ordinal and not point.date and not blocked and (
                point.weekday or point.period and point.period.month or point.clock or point.part):
            month = point.period.month if point.period else None
            weekday = point.weekday.weekday if point.weekday else None
            point.date = DateSpec(num.value, month, point.period.year if point.period else None, weekday)
            point.weekday = point.period = None
        elif (not point.clock and not num.ordinal and num.digits <= 2 and num.value <= 24
              and (not blocked or latent) and (cued or point.context() or latent and len(point.nums) == 1)):
            point.clock = Clock(num.value, h24=num.value > 12 or num.digits == 2 and num.value < 10, weak=True)
        else:
            return False
    point.nums = []
    return point.strong() or latent and bool(point.clock or point.date) or cued and bool(point.clock)


def _range_split(items: list[Item]) -> tuple[list[Item], list[Item], str] | None:
    seen: set[str] = set()
    for k, item in enumerate(items):
        kind = _marker(item)
        separates = kind in ("to", "until", "dash") or kind == "and" and "between" in seen \
            or kind == "before" and "after" in seen
        if separates:
            left, right = items[:k], items[k + 1:]
            if _has_atom(left) and _has_atom(right):
                return left, right, kind
        if kind:
            seen.add(kind)
    return None


def _marker(item: Item) -> str | None:
    return item.atom.kind if isinstance(item.atom, Marker) else None


def _has_atom(items: list[Item]) -> bool:
    return any(not isinstance(item.atom, Marker) for item in items)


def _range(left_items: list[Item], right_items: list[Item], items: list[Item], tokens: list[Token],
           cued: bool, latent: bool) -> Range | None:
    left = _collect([i for i in left_items if not isinstance(i.atom, Marker)], items, tokens)
    right = _collect([i for i in right_items if not isinstance(i.atom, Marker)], items, tokens)
    if left is None or right is None or left.duration or right.duration:
        return None
    _pair_numbers(left, right)
    _pair_numbers(right, left)
    _lend(left, right)
    _lend(right, left)
    if not (_settle(left, True, latent) and _settle(right, True, latent)):
        return None
    if not (cued or latent or left.strong() or right.strong()):
        return None
    _align_meridiem(left, right)
    return Range(left, right)


def _pair_numbers(side: Point, other: Point) -> None:
    """ "13" in "from 13 to 15 July" is a day; "3" in "3-4pm" an hour."""
    if len(side.nums) != 1 or side.clock or side.date or side.nums[0][1]:
        return
    num = side.nums[0][0]
    if other.date and other.date.month and not other.clock and 1 <= num.value <= 31:
        side.date = DateSpec(num.value, other.date.month, other.date.year)
    elif (other.date and not other.clock and num.ordinal
          or other.nums and other.nums[0][0].ordinal and num.value <= 31):
        side.date = DateSpec(num.value)
    elif (other.clock or other.nums) and num.value <= 24 and num.digits <= 2:
        side.clock = Clock(num.value, h24=num.value > 12, weak=True)
    else:
        return
    side.nums = []


def _lend(side: Point, other: Point) -> None:
    """Give `side` the day, month, part of day and zone that only `other` names."""
    if side.date and not side.date.month and other.date and other.date.month:
        side.date = DateSpec(side.date.day, other.date.month, other.date.year)
    if not side.has_day() and not side.offset:
        for name in _DAY_FIELDS:
            setattr(side, name, getattr(other, name))
        if other.part and other.part.today and not side.part:
            side.part = other.part
    if side.part is None and other.part and not (side.clock and side.clock.meridiem):
        side.part = other.part
    if side.zone is None:
        side.zone = other.zone


def _align_meridiem(left: Point, right: Point) -> None:
    """ "3-4pm" is 15:00-16:00, "8am until 6" 08:00-18:00, "11-1pm" 11:00-13:00."""
    a, b = left.clock, right.clock
    if not a or not b or bool(a.meridiem) == bool(b.meridiem) or a.h24 or b.h24:
        return
    if b.meridiem and 1 <= a.hour <= 12:
        same = a.with_meridiem(b.meridiem)
        left.clock = same if _minutes(same) <= _minutes(b) else a.with_meridiem(_flip(b.meridiem))
    elif a.meridiem and 1 <= b.hour <= 12:
        same = b.with_meridiem(a.meridiem)
        right.clock = same if _minutes(same) >= _minutes(a) else b.with_meridiem(_flip(a.meridiem))


def _flip(meridiem: str) -> str:
    return "am" if meridiem == "pm" else "pm"


def _minutes(clock: Clock) -> int:
    hour = clock.hour % 12 + (12 if clock.meridiem == "pm" else 0)
    return hour * 60 + clock.minute

