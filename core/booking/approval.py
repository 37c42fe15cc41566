"""Requests awaiting approval: a booking of a service that needs it is `pending` until the provider answers.

The request holds its slot (pending is an active status) from the moment it is made. Approving
confirms it; declining cancels it, and so does its lapse: `request_expires_at`, set at booking
(the business's `approval_expiry_hours`, or the start if sooner), passed with no answer. Either
end frees the slot, and each records its event in the outbox in the same transaction, for the
notifications to tell the client (`AppointmentApproved`, or `AppointmentCancelled` with `why`).

Lapsing is the worker's: a job at each request's expiry (`expire_due`), and its sweep as a
safety net, so a request is never left holding a slot because one job was lost.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.booking import errors, events, outbox
from core.booking.appointments import write_audit
from core.booking.service import BookingService
from core.db.models import Appointment
from core.db.session import UnitOfWork

DECLINED, EXPIRED = "declined", "expired"
LAPSED = "nobody answered the request in time"
EXPIRE_BATCH = 200  # requests lapsed per transaction


class NotARequest(errors.NotActive):
    """The appointment is not (or no longer) a request awaiting approval."""

    code = "not_pending"


class Approvals:
    """Approve, decline and lapse requests, through the booking core's session, clock and outbox relay."""

    def __init__(self, booking: BookingService):
        self.booking = booking

    def approve(self, appointment_id: int, *, actor: str = "provider") -> Appointment:
        """Confirm a request; approving one already approved is not an error and tells nobody twice."""
        with UnitOfWork(self.booking.session_factory, write=True) as uow:
            s = uow.session
            appt = _appointment(s, appointment_id)
            if appt.status == "confirmed" and appt.request_expires_at is not None:
                return appt
            _require_request(appt)
            now = self.booking.clock()
            if appt.request_expires_at <= now:  # its time ran out before the worker got to it: it lapses now
                announced = _end(s, appt, "system", EXPIRED, LAPSED, now)
                uow.commit()
                self.booking.publish(announced)
                _require_request(appt)
            appt.status = "confirmed"
            appt.version += 1
            write_audit(s, actor, "approve", appt, at=self.booking.clock())
            announced = outbox.record(s, [events.AppointmentApproved(appt.id, appt.version)], self.booking.clock())
            uow.commit()
        self.booking.publish(announced)
        return appt

    def decline(self, appointment_id: int, *, actor: str = "provider", reason: str | None = None) -> Appointment:
        """Turn a request down: it is cancelled, and its slot is free again."""
        with UnitOfWork(self.booking.session_factory, write=True) as uow:
            s = uow.session
            appt = _appointment(s, appointment_id)
            if appt.status == "cancelled" and appt.request_expires_at is not None:
                return appt
            _require_request(appt)
            announced = _end(s, appt, actor, DECLINED, reason, self.booking.clock())
            uow.commit()
        self.booking.publish(announced)
        return appt

    def expire_due(self, now: datetime | None = None) -> list[int]:
        """Lapse every request whose time to be answered has passed; returns their ids."""
        now = now or self.booking.clock()
        lapsed: list[int] = []
        while True:
            with UnitOfWork(self.booking.session_factory, write=True) as uow:
                s = uow.session
                due = list(s.scalars(select(Appointment).where(
                    Appointment.status == "pending", Appointment.request_expires_at <= now)
                    .order_by(Appointment.request_expires_at, Appointment.id).limit(EXPIRE_BATCH)
                    .with_for_update(skip_locked=True)))
                announced = [event for appt in due
                             for event in _end(s, appt, "system", EXPIRED, LAPSED, now)]
                uow.commit()
            self.booking.publish(announced)
            lapsed += [appt.id for appt in due]
            if len(due) < EXPIRE_BATCH:
                return lapsed


def _end(s, appt: Appointment, actor: str, why: str, reason: str | None, now: datetime) -> list:
    appt.status, appt.cancellation_reason = "cancelled", reason
    appt.late_cancellation = False  # the business ended it: never counted against the client
    appt.version += 1
    for used in appt.resources:
        used.active = False
    write_audit(s, actor, "decline" if why == DECLINED else "expire", appt, at=now, reason=reason)
    return outbox.record(s, [events.AppointmentCancelled(appt.id, appt.version, False, why=why)], now)


def _appointment(s, appointment_id: int) -> Appointment:
    appt = s.get(Appointment, appointment_id, with_for_update=True)
    if appt is None:
        raise errors.NotFound(f"appointment {appointment_id} not found")
    return appt


def _require_request(appt: Appointment) -> None:
    if appt.status == "pending" and appt.request_expires_at is not None:
        return
    if appt.status == "cancelled" and appt.request_expires_at is not None:
        ended = "it lapsed unanswered" if appt.cancellation_reason == LAPSED else "it was declined or withdrawn"
        raise NotARequest(f"that request is closed already ({ended}), and its time was freed for others")
    raise NotARequest(f"that appointment is {appt.status.replace('_', '-')}, not a request awaiting approval")
