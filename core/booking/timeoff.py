"""Time off for a provider: the one rule the REST API and Slack's `/block` share.

Time off over active appointments is refused, naming them, unless the caller says to cancel
them. Then the time off is saved first, so no booking can land in it meanwhile, and each
appointment is cancelled the normal way (`BookingService.cancel`), whose event has the
client told over their own channel.

The clash check and the insert are one write transaction that locks the provider's row,
as a booking does (`schedules.read_terms(lock=True)`); on SQLite the write lock serialises
them. So a booking and the time off never both win the same minutes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.booking import audit, errors, events, outbox, setup_writes
from core.booking.bulk_cancel import MAX_AT_ONCE, Cancellations, cancel_each
from core.booking.schedules import bump_schedule
from core.booking.service import BookingService
from core.db.models import ACTIVE_STATUSES, Appointment, Provider, TimeOff
from core.db.session import UnitOfWork


@dataclass(frozen=True)
class TimeOffRequest:
    provider_id: int
    start: datetime
    end: datetime
    reason: str | None = None  # the time off's own note, for staff
    cancel_appointments: bool = False
    cancellation_reason: str | None = None  # what the clients are told, if anything
    actor: str = "staff"  # who cancels them, as the audit log records it (the client is told unless it is them)


@dataclass
class TimeOffBlocked:
    time_off: TimeOff
    cancellations: Cancellations = field(default_factory=Cancellations)


def block_time(booking: BookingService, request: TimeOffRequest) -> TimeOffBlocked:
    """Save the time off; raise `AppointmentsInTheWay` if it covers active appointments not to be cancelled."""
    if request.start.tzinfo is None or request.end.tzinfo is None:
        raise errors.InvalidRequest("time off needs times with a zone offset")
    if request.end <= request.start:
        raise errors.InvalidRequest("time off must end after it starts")
    with UnitOfWork(booking.session_factory, write=True) as uow:
        s = uow.session
        if s.get(Provider, request.provider_id, with_for_update=True) is None:
            raise errors.NotFound(f"provider {request.provider_id} not found")
        clashes = appointments_in_the_way(s, request.provider_id, request.start, request.end, now=booking.clock())
        if clashes and not request.cancel_appointments:
            raise errors.AppointmentsInTheWay(_refusal(clashes), clashes)
        if len(clashes) > MAX_AT_ONCE:  # refused before the time off is saved, not half done after
            raise errors.InvalidRequest(f"that time off covers {len(clashes)} appointments; at most {MAX_AT_ONCE} "
                                        "can be cancelled with it, so block a shorter time")
        entry = setup_writes.add_time_off(s, provider_id=request.provider_id, start=request.start, end=request.end,
                                     reason=request.reason)
        audit.record(s, request.actor, "add", "time_off", entry.id, at=booking.clock(), providerId=request.provider_id,
                     start=entry.start_at.isoformat(), end=entry.end_at.isoformat(),
                     cancelling=[a.id for a in clashes])  # each cancellation has its own entry too
        uow.commit()
    if not clashes:
        return TimeOffBlocked(entry)
    cancelled = cancel_each(booking, [a.id for a in clashes], reason=request.cancellation_reason,
                            actor=request.actor)
    return TimeOffBlocked(entry, cancelled)


def unblock_time(booking: BookingService, provider_id: int, time_off_id: int, *, actor: str = "staff") -> TimeOff:
    """Remove time off; the time it covered is announced free in the same transaction, so the worker
    offers it to the waiting list (`core.booking.backfill`). `actor` is recorded in the audit log."""
    with UnitOfWork(booking.session_factory, write=True) as uow:
        s = uow.session
        if s.get(Provider, provider_id, with_for_update=True) is None:
            raise errors.NotFound(f"provider {provider_id} not found")
        entry = s.get(TimeOff, time_off_id)
        if entry is None or entry.provider_id != provider_id:
            raise errors.NotFound(f"time off {time_off_id} of provider {provider_id} not found")
        s.delete(entry)
        bump_schedule(s, provider_id)
        audit.record(s, actor, "remove", "time_off", time_off_id, at=booking.clock(), providerId=provider_id,
                     start=entry.start_at.isoformat(), end=entry.end_at.isoformat())
        announced = outbox.record(s, [events.TimeFreed(provider_id, entry.start_at, entry.end_at)], booking.clock())
        uow.commit()
    booking.publish(announced)
    return entry


def appointments_in_the_way(s: Session, provider_id: int, start: datetime, end: datetime, *,
                            now: datetime) -> tuple[Appointment, ...]:
    """The provider's active appointments overlapping [start, end) and not over yet, earliest first."""
    # One that is over is history, not in the way; the time off can stand beside it.
    return tuple(s.scalars(select(Appointment).where(
        Appointment.provider_id == provider_id, Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.start_at < end, Appointment.end_at > start, Appointment.end_at > now)
        .order_by(Appointment.start_at, Appointment.id)))


def _refusal(clashes: tuple[Appointment, ...]) -> str:
    count = f"{len(clashes)} appointment{'' if len(clashes) == 1 else 's'}"
    return (f"that time off covers {count}; cancel or move {'it' if len(clashes) == 1 else 'them'} first, "
            "or ask to cancel them with the time off (the clients are told)")
