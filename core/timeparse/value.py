"""What a phrase means: an instant (at a grain) or an interval, in the client's zone."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

GRAINS = ("second", "minute", "hour", "day", "week", "month", "year")


@dataclass(frozen=True)
class TimeValue:
    """An instant ("at 3pm": start 15:00, grain hour) or an interval ("3-4pm": start 15:00,
    end 16:00 exclusive). Open intervals have one end None: "after 5" starts at 17:00 and
    has no end; "before 11am" has no start and ends at 11:00. Times are aware, in the zone
    the phrase was read in; an instant of grain "day" stands for that whole day."""

    kind: Literal["instant", "interval"]
    start: datetime | None
    end: datetime | None
    grain: str

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "grain": self.grain,
        }


def finer(a: str, b: str) -> str:
    return a if GRAINS.index(a) <= GRAINS.index(b) else b
