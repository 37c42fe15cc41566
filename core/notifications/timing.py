"""When a reminder is due, and the quiet hours SMS keeps out of. Pure functions.

Offsets are real durations: "24h before" is 24 hours of elapsed time, so across a DST change
the reminder is at another wall-clock time than the appointment. Quiet hours are wall-clock
times in the client's zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time | None
    end: time | None

    @property
    def any(self) -> bool:
        return self.start is not None and self.end is not None and self.start != self.end


def reminder_due(start: datetime, offset: timedelta) -> datetime:
    """The UTC instant `offset` of elapsed time before `start`."""
    return start.astimezone(UTC) - offset


def offset_label(offset: timedelta) -> str:
    """A stable name for an offset in keys: "1440m"."""
    return f"{int(offset.total_seconds() // 60)}m"


def is_quiet(moment: datetime, zone: str, quiet: QuietHours) -> bool:
    if not quiet.any:
        return False
    local = moment.astimezone(ZoneInfo(zone)).time()
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end  # a spell across midnight, 21:00-08:00


def after_quiet(moment: datetime, zone: str, quiet: QuietHours) -> datetime:
    """`moment` (UTC) if it is outside the quiet hours, else the instant they end."""
    if not is_quiet(moment, zone, quiet):
        return moment.astimezone(UTC)
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    end = datetime.combine(local.date(), quiet.end, tzinfo=tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=tz)
    return end.astimezone(UTC)
