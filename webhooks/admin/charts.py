"""The reports' charts as inline SVG geometry, pure: the templates draw what these compute.

Sizes are in the SVG's own units (its viewBox); the stylesheet scales the drawing to the page's
width, so nothing here knows the screen. Colours come from classes, never inline styles.
"""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = 5  # heat-0 (none) .. heat-5 (the busiest hour)


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    count: int
    level: int
    label: str


@dataclass(frozen=True)
class Heat:
    width: int
    height: int
    cells: list[Cell]
    rows: list[tuple[str, int]]  # weekday label, y of its text
    hours: list[tuple[str, int]]  # hour label, x of its text
    size: int


def heatmap(counts: list[list[int]], weekdays: tuple[str, ...], *, first: int = 7, last: int = 20,
            size: int = 22, left: int = 40, top: int = 20) -> Heat:
    """Weekdays down, hours across: the hours shown cover every hour with a booking (at least first..last)."""
    busy = [h for row in counts for h, n in enumerate(row) if n]
    first, last = min([first, *busy]), max([last, *busy])
    peak = max((n for row in counts for n in row), default=0)
    cells = []
    for d, name in enumerate(weekdays):
        for h in range(first, last + 1):
            n = counts[d][h]
            level = 0 if not n else max(1, round(LEVELS * n / peak))
            cells.append(Cell(left + (h - first) * size, top + d * size, n, level,
                              f"{name} {h:02d}:00: {n} booking{'' if n == 1 else 's'}"))
    rows = [(name, top + d * size + size * 2 // 3) for d, name in enumerate(weekdays)]
    hours = [(f"{h:02d}", left + (h - first) * size + size // 2) for h in range(first, last + 1, 2)]
    return Heat(left + (last - first + 1) * size + 2, top + len(weekdays) * size + 2, cells, rows, hours, size - 2)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int
    text_x: int


@dataclass(frozen=True)
class Bars:
    width: int
    height: int
    left: int
    bars: list[Bar]
    thickness: int


def bars(rows: list[tuple[str, int]], *, width: int = 360, left: int = 90, step: int = 28) -> Bars:
    """One horizontal bar a row (a provider's bookings), scaled to the largest."""
    room = width - left - 40  # the value's text goes after the bar
    peak = max((value for _, value in rows), default=0) or 1
    drawn = []
    for i, (label, value) in enumerate(rows):
        length = round(room * value / peak)
        drawn.append(Bar(label if len(label) <= 12 else label[:11] + "…", value, 6 + i * step, length,
                         left + length + 6))
    return Bars(width, 12 + len(rows) * step, left, drawn, step - 10)
