"""Cancelling many appointments at once, for staff: by id, or a client's coming appointments.

Each one goes through `BookingService.cancel`, one transaction each, so every cancellation
is what a single one would be: the slot is freed, its reminders go, and its
`AppointmentCancelled` event has the client told over their own channel. One that cannot be
cancelled is reported with the reason and does not stop the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from core.booking import errors
from core.booking.access import Principal, may_see
from core.booking.commands import Cancel
from core.booking.service import BookingService
from core.db.models import ACTIVE_STATUSES, Appointment, User
from core.db.session import UnitOfWork

MAX_AT_ONCE = 500  # one request's worth of transactions and notices


@dataclass(frozen=True)
class NotCancelled:
    """An appointment that was asked for but not cancelled, and why (`code` as the errors' codes)."""

    appointment_id: int
    code: str
    detail: str


@dataclass
class Cancellations:
    """What came of cancelling many: `more` means a client had more than one request may cancel."""

    cancelled: list[Appointment] = field(default_factory=list)
    not_cancelled: list[NotCancelled] = field(default_factory=list)
    more: bool = False


def cancel_each(booking: BookingService, ids: list[int], *, reason: str | None, actor: str,
                who: Principal | None = None) -> Cancellations:
    """Cancel each appointment in `ids` (in that order, repeats ignored); report the ones that could not be.
    With `who`, one they may not see (`access.may_see`) is reported `not_found`, as an unknown id is."""
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_AT_ONCE:
        raise errors.InvalidRequest(f"at most {MAX_AT_ONCE} appointments can be cancelled at once")
    with UnitOfWork(booking.session_factory) as uow:
        found = uow.session.execute(select(Appointment.id, Appointment.status, Appointment.provider_id,
                                           Appointment.client_id).where(Appointment.id.in_(ids))).all() if ids else []
    status_of = {row.id: row.status for row in found
                 if who is None or may_see(who, provider_id=row.provider_id, client_id=row.client_id)}
    outcome = Cancellations()
    for appointment_id in ids:
        refused = _refusal(appointment_id, status_of.get(appointment_id))
        if refused is None:
            try:
                outcome.cancelled.append(booking.cancel(Cancel(appointment_id, reason=reason, actor=actor)))
                continue
            except errors.BookingError as exc:  # over already, or changed meanwhile: the others still go
                refused = NotCancelled(appointment_id, exc.code, str(exc))
        outcome.not_cancelled.append(refused)
    return outcome


def cancel_for_client(booking: BookingService, client_id: int, *, start: datetime | None = None,
                      end: datetime | None = None, reason: str | None, actor: str) -> Cancellations:
    """Cancel a client's active appointments that end after `start` (default: now) and start before `end`."""
    with UnitOfWork(booking.session_factory) as uow:
        if uow.session.get(User, client_id) is None:
            raise errors.NotFound(f"client {client_id} not found")
    found = booking.list(client_id=client_id, start=start or booking.clock(), end=end, statuses=ACTIVE_STATUSES,
                         limit=MAX_AT_ONCE + 1)
    outcome = cancel_each(booking, [a.id for a in found[:MAX_AT_ONCE]], reason=reason, actor=actor)
    outcome.more = len(found) > MAX_AT_ONCE
    return outcome


def _refusal(appointment_id: int, status: str | None) -> NotCancelled | None:
    if status is None:
        return NotCancelled(appointment_id, errors.NotFound.code, f"appointment {appointment_id} not found")
    if status == "cancelled":
        return NotCancelled(appointment_id, "already_cancelled", "it was already cancelled")
    if status not in ACTIVE_STATUSES:
        return NotCancelled(appointment_id, errors.NotActive.code, f"it is {status.replace('_', '-')}, not active")
    return None
