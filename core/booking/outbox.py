"""The transactional outbox: booking events written in the same transaction as the change.

A booking and the event that tells people about it commit together or not at all, so an
event is never lost to Redis being away when the change commits. A relay (see
`core.notifications.relay`) later hands each pending row to the job queue and marks it
relayed; until then it waits here. The worker marks it done once it has planned the notices.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from core.booking import events
from core.db.models import OutboxEvent

_EVENTS = OutboxEvent.__table__
_INSERT = insert(_EVENTS).returning(_EVENTS.c.id)
KINDS = {events.AppointmentBooked: "booked", events.AppointmentMoved: "moved",
         events.AppointmentCancelled: "cancelled", events.AppointmentStatusChanged: "status",
         events.AppointmentApproved: "approved"}
KINDS[events.TimeFreed] = "freed"  # about no appointment: `payload_of` says the time itself


def record(s: Session, happened: Iterable, now: datetime) -> list[OutboxEvent]:
    """Add the events to the session's transaction; returns their rows (for a relay right after the commit).

    A Core INSERT, as the booking's own: it is on the hot path, where a unit-of-work flush costs more."""
    values = [dict(kind=KINDS[type(event)], payload=payload_of(event), created_at=now, relayed_at=None, attempts=0,
                   done_at=None) for event in happened]
    ids = [s.execute(_INSERT, one).scalar_one() for one in values]
    return [OutboxEvent(id=event_id, **one) for event_id, one in zip(ids, values, strict=True)]


def payload_of(event) -> dict:
    """What the worker needs to plan the event: the appointment, its version, and the rest as `extra`."""
    fields = asdict(event)
    if isinstance(event, events.TimeFreed):
        return {"appointment_id": None, "version": None, "extra": {
            "provider_id": event.provider_id, "start": event.start.isoformat(), "end": event.end.isoformat()}}
    payload = {"appointment_id": fields.pop("appointment_id"), "version": fields.pop("version")}
    extra = {name: value.isoformat() if isinstance(value, datetime) else value for name, value in fields.items()}
    if isinstance(event, events.AppointmentCancelled):
        # The worker reads lateness from the appointment itself; a request's end is said as "why".
        extra = {"why": event.why} if event.why else {}
    return {**payload, "extra": extra}


def pending(s: Session, *, limit: int = 200) -> list[OutboxEvent]:
    """Events not yet relayed, oldest first."""
    return list(s.scalars(select(OutboxEvent).where(OutboxEvent.done_at.is_(None), OutboxEvent.relayed_at.is_(None))
                          .order_by(OutboxEvent.id).limit(limit)))


def mark_relayed(s: Session, ids: list[int], now: datetime, *, again: bool = False) -> None:
    """The events' jobs are in the queue (`again`: queued anew, after theirs was lost)."""
    if ids:  # a Core UPDATE: no ORM objects to keep in step, and it runs after every booking
        query = update(_EVENTS).where(_EVENTS.c.id.in_(ids))
        s.execute((query if again else query.where(_EVENTS.c.relayed_at.is_(None))).values(relayed_at=now))


def count_failed_attempt(s: Session, event_ids: list[int]) -> None:
    s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(event_ids)).values(attempts=OutboxEvent.attempts + 1))


def backlog(s: Session) -> tuple[int, datetime | None]:
    """How many events wait to be relayed, and since when the oldest has."""
    count, oldest = s.execute(select(func.count(OutboxEvent.id), func.min(OutboxEvent.created_at)).where(
        OutboxEvent.done_at.is_(None), OutboxEvent.relayed_at.is_(None))).one()
    return count, oldest


def mark_done(s: Session, event_id: int, now: datetime) -> None:
    """The worker has planned what the event calls for."""
    s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id, OutboxEvent.done_at.is_(None))
              .values(done_at=now))


def relayed_not_done(s: Session, *, before: datetime, limit: int = 500) -> list[OutboxEvent]:
    """Events queued before `before` that no worker has planned yet: still in the queue, or lost with it."""
    return list(s.scalars(select(OutboxEvent).where(
        OutboxEvent.relayed_at < before, OutboxEvent.done_at.is_(None)).order_by(OutboxEvent.id).limit(limit)))
