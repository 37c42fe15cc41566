"""The day grid's layout, pure: times down in quarter-hour rows, one column per provider (or per day).

Each column reads its own wall clock: a provider's appointments are placed by their times in the
provider's zone, so a column for a provider in New York beside one in London shows each one's
working day. Blocks are placed with CSS grid classes (`s-<row>` start, `n-<rows>` span, `l-<lane>`
side by side when they overlap), all from one stylesheet: the Content-Security-Policy allows no
inline style.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ROW_MINUTES = 15
MAX_ROWS = 24 * 60 // ROW_MINUTES
MAX_LANES = 4
DEFAULT_HOURS = (8, 18)  # shown even on an empty day


@dataclass(frozen=True)
class Block:
    item: object  # a core.booking.console.Booked
    start: datetime  # local
    end: datetime
    row: int  # 1-based
    span: int
    lane: int  # 1-based

    @property
    def classes(self) -> str:
        return f"s-{self.row} n-{self.span} l-{self.lane} st-{self.item.status.replace('_', '-')}"


@dataclass
class Column:
    title: str
    subtitle: str
    day: date
    zone: str
    items: Sequence = ()
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Grid:
    columns: list[Column]
    first_hour: int
    rows: int

    @property
    def hours(self) -> list[tuple[str, int]]:
        """Each hour's label and its row."""
        return [(f"{self.first_hour + i:02d}:00", 1 + i * 60 // ROW_MINUTES) for i in range(self.rows * ROW_MINUTES // 60)]


def layout(columns: list[Column]) -> Grid:
    """Place every column's items; the hours shown cover them all (at least `DEFAULT_HOURS`)."""
    first, last = DEFAULT_HOURS
    for column in columns:
        column.items = [item for item in column.items if _on_day(item, column)]
        for item in column.items:
            start, end = _local(item, column)
            first = min(first, start.hour)
            last = max(last, 24 if end.date() != column.day else end.hour + (1 if end.minute else 0))
    rows = (last - first) * 60 // ROW_MINUTES
    for column in columns:
        column.blocks = _place(column, first, rows)
    return Grid(columns, first, rows)


def _on_day(item, column: Column) -> bool:
    start, end = _local(item, column)
    return start < end


def _local(item, column: Column) -> tuple[datetime, datetime]:
    """The item's start and end on the column's wall clock, cut to the column's day."""
    zone = ZoneInfo(column.zone)
    day_start = datetime.combine(column.day, time(0), tzinfo=zone)
    day_end = datetime.combine(column.day + timedelta(days=1), time(0), tzinfo=zone)
    start = max(item.start.astimezone(zone), day_start)
    end = min(item.end.astimezone(zone), day_end)
    return start, end


def _place(column: Column, first_hour: int, rows: int) -> list[Block]:
    blocks: list[Block] = []
    lane_ends: list[int] = []  # each lane's last row taken
    for item in sorted(column.items, key=lambda i: (i.start, i.id)):
        start, end = _local(item, column)
        minutes = (start.hour - first_hour) * 60 + start.minute
        row = max(1, min(rows, minutes // ROW_MINUTES + 1))
        length = max(1, math.ceil(max(0, (end - start).total_seconds() / 60) / ROW_MINUTES))
        span = max(1, min(length, rows - row + 1))
        lane = next((i for i, last in enumerate(lane_ends) if last < row), None)
        if lane is None:
            lane = min(len(lane_ends), MAX_LANES - 1)
            if lane == len(lane_ends):
                lane_ends.append(0)
        lane_ends[lane] = max(lane_ends[lane], row + span - 1)
        blocks.append(Block(item, start, end, row, span, lane + 1))
    return blocks


def stylesheet() -> str:
    """The placement classes, one rule each (served as /admin/static/grid.css)."""
    rules = [f".s-{i}{{grid-row-start:{i}}}" for i in range(1, MAX_ROWS + 1)]
    rules += [f".n-{i}{{grid-row-end:span {i}}}" for i in range(1, MAX_ROWS + 1)]
    rules += [f".l-{i}{{grid-column-start:{i}}}" for i in range(1, MAX_LANES + 1)]
    rules += [f".rows-{i}{{grid-template-rows:repeat({i},var(--row))}}" for i in range(1, MAX_ROWS + 1)]
    return "\n".join(rules) + "\n"
