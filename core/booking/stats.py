"""Counts read from the database, for whoever reports on bookings (the `/metrics` exporter)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import Appointment
from core.db.session import UnitOfWork

UNKNOWN_CHANNEL = "unknown"  # booked by a caller that named no channel
_BY_CHANNEL = select(Appointment.channel, func.count()).group_by(Appointment.channel)


class StatsUnavailable(Exception):
    """The database could not be read for a count (it is down or refusing connections)."""


def bookings_by_channel(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """How many appointments were ever booked on each channel (web, telegram, slack, sms, api...).

    Cancelled, moved and past ones count too: each was a booking, and a count of bookings
    never goes down. Read from the table, it is the same whichever process asks.
    Raises `StatsUnavailable` when the database cannot be read."""
    try:
        with UnitOfWork(session_factory) as uow:
            rows = uow.session.execute(_BY_CHANNEL).all()
    except SQLAlchemyError as exc:
        raise StatsUnavailable(str(exc)) from exc
    counts: dict[str, int] = {}
    for channel, count in rows:
        name = channel or UNKNOWN_CHANNEL
        counts[name] = counts.get(name, 0) + count
    return counts
