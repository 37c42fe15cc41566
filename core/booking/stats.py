"""Counts read from the database, for whoever reports on bookings (the `/metrics` exporter)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Appointment

UNKNOWN_CHANNEL = "unknown"  # booked by a caller that named no channel
_BY_CHANNEL = select(Appointment.channel, func.count()).group_by(Appointment.channel)


def bookings_by_channel(session: Session) -> dict[str, int]:
    """How many appointments were ever booked on each channel (web, telegram, slack, sms, api...).

    Cancelled, moved and past ones count too: each was a booking, and a count of bookings
    never goes down. Read from the table, it is the same whichever process asks."""
    counts: dict[str, int] = {}
    for channel, count in session.execute(_BY_CHANNEL):
        name = channel or UNKNOWN_CHANNEL
        counts[name] = counts.get(name, 0) + count
    return counts
