"""The booking core's handlers: book, reschedule, cancel, mark, hold, list.

Every change takes the provider's Redis lock (to narrow contention), then runs one write
transaction that re-checks the slot against the database and inserts or updates. The
database's own guard (an exclusion constraint on PostgreSQL, a trigger on SQLite) stands
behind both, and a violation of it becomes `SlotTaken`.
"""
from __future__ import annotations

import logging
import secrets
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking import errors, events
from core.booking.commands import Book, Cancel, FindSlots, HoldSlot, Reschedule, SetStatus
from core.booking.coordination import Coordination, Hold
from core.booking.schedules import get_business, service_shape
from core.booking.slots import OfferedSlot, SlotFinder
from core.booking.availability import block_of
from core.db.models import Appointment, AppointmentResource, AuditEntry, Provider, Service, User
from core.db.session import UnitOfWork

log = logging.getLogger(__name__)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
MARKABLE = {"confirmed": {"pending", "confirmed"}, "completed": {"pending", "confirmed", "no_show"},
            "no_show": {"pending", "confirmed", "completed"}}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_confirmation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


class BookingService:
    """The booking core's entry point for every edge (REST, chat, Slack actions, workers)."""

    def __init__(self, session_factory: sessionmaker[Session], coordination: Coordination, *,
                 clock: Callable[[], datetime] = utcnow, publish: Callable[[list], None] | None = None):
        self.session_factory = session_factory
        self.coordination = coordination
        self.clock = clock
        self.publish = publish or (lambda _events: None)
        self.slots = SlotFinder(coordination, clock)

    # -- reading ---------------------------------------------------------------------------
    def find_slots(self, cmd: FindSlots) -> list[OfferedSlot]:
        with UnitOfWork(self.session_factory) as uow:
            return self.slots.find(uow.session, cmd)

    def get(self, appointment_id: int) -> Appointment:
        with UnitOfWork(self.session_factory) as uow:
            return _appointment(uow.session, appointment_id)

    def list(self, *, provider_id: int | None = None, client_id: int | None = None,
             start: datetime | None = None, end: datetime | None = None,
             statuses: Iterable[str] | None = None, limit: int = 500) -> list[Appointment]:
        query = select(Appointment).order_by(Appointment.start_at, Appointment.id).limit(limit)
        if provider_id is not None:
            query = query.where(Appointment.provider_id == provider_id)
        if client_id is not None:
            query = query.where(Appointment.client_id == client_id)
        if start is not None:
            query = query.where(Appointment.end_at > start)
        if end is not None:
            query = query.where(Appointment.start_at < end)
        if statuses:
            query = query.where(Appointment.status.in_(list(statuses)))
        with UnitOfWork(self.session_factory) as uow:
            return list(uow.session.scalars(query))

    # -- changing --------------------------------------------------------------------------
    def book(self, cmd: Book) -> tuple[Appointment, bool]:
        """Book a slot; returns (appointment, replayed) where replayed means the idempotency key was seen."""
        for _attempt in range(3):  # a fresh confirmation code on the rare collision
            try:
                return self._book_once(cmd)
            except _CodeCollision:
                continue
        raise errors.BookingError("could not issue a confirmation code; please try again")

    def _book_once(self, cmd: Book) -> tuple[Appointment, bool]:
        if cmd.start.tzinfo is None:
            raise errors.InvalidRequest("the start time needs a time zone offset")
        with self.coordination.provider_lock(cmd.provider_id), UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            if cmd.idempotency_key and (seen := _by_key(s, cmd.idempotency_key)) is not None:
                return _replay(seen, cmd), True
            provider, service = _lock_provider(s, cmd.provider_id), _service(s, cmd.service_id)
            if s.get(User, cmd.client_id) is None:
                raise errors.NotFound(f"client {cmd.client_id} not found")
            if all(sv.id != service.id for sv in provider.services):
                raise errors.InvalidRequest(f"{provider.name} does not offer {service.name}")
            start = cmd.start.astimezone(timezone.utc)
            self.slots.check(s, provider, service, start, cmd.client_id)
            appt = Appointment(service_id=service.id, provider_id=provider.id, client_id=cmd.client_id,
                               status="confirmed", version=1, idempotency_key=cmd.idempotency_key,
                               confirmation_code=new_confirmation_code(), channel=cmd.channel, notes=cmd.notes)
            _place(appt, service, start)
            s.add(appt)
            try:
                s.flush()
            except IntegrityError as exc:
                s.rollback()
                if cmd.idempotency_key and (seen := _by_key(s, cmd.idempotency_key)) is not None:
                    return _replay(seen, cmd), True
                raise _integrity_error(exc) from exc
            _audit(s, cmd.actor, "book", appt, start=start.isoformat())
            uow.commit()
        self.coordination.release_hold(cmd.provider_id, cmd.client_id)
        self.publish([events.AppointmentBooked(appt.id, appt.version)])
        return appt, False

    def reschedule(self, cmd: Reschedule) -> Appointment:
        """Move an appointment; the old time is given up only if the new one is won."""
        if cmd.start.tzinfo is None:
            raise errors.InvalidRequest("the new start time needs a time zone offset")
        with UnitOfWork(self.session_factory) as uow:
            current = _appointment(uow.session, cmd.appointment_id)
        provider_ids = sorted({current.provider_id, cmd.provider_id or current.provider_id})
        with ExitStack() as stack:
            for pid in provider_ids:  # always in id order, so two moves never deadlock
                stack.enter_context(self.coordination.provider_lock(pid))
            uow = stack.enter_context(UnitOfWork(self.session_factory, write=True))
            s = uow.session
            appt = _appointment(s, cmd.appointment_id, for_update=True)
            _require_active(appt)
            if cmd.expected_version is not None and appt.version != cmd.expected_version:
                raise errors.VersionConflict("the appointment changed meanwhile; reload it and try again")
            provider = _lock_provider(s, cmd.provider_id or appt.provider_id)
            service = _service(s, appt.service_id)
            if all(sv.id != service.id for sv in provider.services):
                raise errors.InvalidRequest(f"{provider.name} does not offer {service.name}")
            start = cmd.start.astimezone(timezone.utc)
            previous = appt.start_at
            self.slots.check(s, provider, service, start, appt.client_id, exclude_appointment_id=appt.id)
            appt.provider_id = provider.id
            _place(appt, service, start)
            appt.version += 1
            try:
                s.flush()
            except IntegrityError as exc:
                raise _integrity_error(exc) from exc
            _audit(s, cmd.actor, "reschedule", appt, previous=previous.isoformat(), start=start.isoformat())
            uow.commit()
        self.coordination.release_hold(provider.id, appt.client_id)
        self.publish([events.AppointmentMoved(appt.id, appt.version, previous)])
        return appt

    def cancel(self, cmd: Cancel) -> Appointment:
        """Cancel; a cancellation inside the business's window is allowed but marked late."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            appt = _appointment(s, cmd.appointment_id, for_update=True)
            if appt.status == "cancelled":
                return appt  # cancelling twice is not an error, and tells nobody twice
            _require_active(appt)
            now = self.clock()
            if appt.end_at <= now:
                raise errors.NotActive("that appointment is already over")
            window = timedelta(hours=get_business(s).cancellation_window_hours)
            appt.late_cancellation = appt.start_at - now < window
            appt.status, appt.cancellation_reason = "cancelled", cmd.reason
            appt.version += 1
            for used in appt.resources:
                used.active = False
            _audit(s, cmd.actor, "cancel", appt, reason=cmd.reason, late=appt.late_cancellation)
            uow.commit()
        self.publish([events.AppointmentCancelled(appt.id, appt.version, appt.late_cancellation)])
        return appt

    def set_status(self, cmd: SetStatus) -> Appointment:
        """Mark confirmed (by the client), completed or no-show (by the provider)."""
        if cmd.status not in MARKABLE:
            raise errors.InvalidRequest(f"status must be one of {', '.join(sorted(MARKABLE))}")
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            appt = _appointment(s, cmd.appointment_id, for_update=True)
            if appt.status == cmd.status:
                return appt
            if appt.status not in MARKABLE[cmd.status]:
                raise errors.NotActive(f"a {appt.status} appointment cannot be marked {cmd.status}")
            if cmd.status in ("completed", "no_show") and appt.start_at > self.clock():
                raise errors.InvalidRequest(f"it cannot be marked {cmd.status.replace('_', '-')} before it starts")
            appt.status = cmd.status
            appt.version += 1
            _audit(s, cmd.actor, f"mark_{cmd.status}", appt)
            uow.commit()
        self.publish([events.AppointmentStatusChanged(appt.id, appt.version, appt.status)])
        return appt

    def hold(self, cmd: HoldSlot) -> Hold | None:
        """Keep a slot for one client for the business's hold time while they confirm.

        Returns None when Redis is unavailable (the booking is then guarded by the database
        alone); raises `SlotHeld`/`SlotTaken`/... when the slot cannot be held."""
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            provider, service = _provider(s, cmd.provider_id), _service(s, cmd.service_id)
            start = cmd.start.astimezone(timezone.utc)
            self.slots.check(s, provider, service, start, cmd.client_id)
            minutes = get_business(s).hold_minutes
        end = start + timedelta(minutes=service.duration_minutes)
        held = self.coordination.place_hold(provider.id, start, end, cmd.client_id,
                                            timedelta(minutes=minutes), self.clock())
        if held is False:
            raise errors.SlotHeld("someone else is confirming that time right now")
        return held


class _CodeCollision(Exception):
    pass


def _integrity_error(exc: IntegrityError) -> Exception:
    text = str(exc.orig).lower()
    if "confirmation_code" in text:
        return _CodeCollision()
    if "no_overlap" in text or "slot_taken" in text or "exclusion" in text:
        if "resource" in text:
            return errors.ResourceBusy("the room or equipment this service needs is in use then")
        return errors.SlotTaken("that time has just been booked by someone else")
    if "foreign key" in text:
        return errors.NotFound("the client, service or provider does not exist")
    log.error("unexpected integrity error: %s", exc)
    return errors.BookingError("the booking could not be saved; please try again")


def _place(appt: Appointment, service: Service, start: datetime) -> None:
    """Set the appointment's times and the resources it holds for them."""
    shape = service_shape(service)
    block = block_of(start, shape)
    appt.start_at, appt.end_at = start, start + shape.duration
    appt.block_start, appt.block_end = block.start, block.end
    if not appt.resources and service.resources:
        appt.resources = [AppointmentResource(resource_id=r.id, block_start=block.start, block_end=block.end)
                          for r in service.resources]
    for used in appt.resources:
        used.block_start, used.block_end, used.active = block.start, block.end, True


def _replay(seen: Appointment, cmd: Book) -> Appointment:
    same = (seen.service_id, seen.provider_id, seen.client_id) == (cmd.service_id, cmd.provider_id, cmd.client_id)
    if not same:
        raise errors.InvalidRequest("this Idempotency-Key was already used for a different booking")
    return seen


def _by_key(s: Session, key: str) -> Appointment | None:
    return s.scalars(select(Appointment).where(Appointment.idempotency_key == key)).first()


def _appointment(s: Session, appointment_id: int, *, for_update: bool = False) -> Appointment:
    appt = s.get(Appointment, appointment_id, with_for_update=for_update or None)
    if appt is None:
        raise errors.NotFound(f"appointment {appointment_id} not found")
    return appt


def _require_active(appt: Appointment) -> None:
    if appt.status not in ("pending", "confirmed"):
        raise errors.NotActive(f"that appointment is {appt.status.replace('_', '-')} and cannot be changed")


def _provider(s: Session, provider_id: int) -> Provider:
    provider = s.get(Provider, provider_id)
    if provider is None or not provider.active:
        raise errors.NotFound(f"provider {provider_id} not found")
    return provider


def _lock_provider(s: Session, provider_id: int) -> Provider:
    """Read the provider row FOR UPDATE: on PostgreSQL this serialises one provider's bookings in the database too."""
    provider = s.get(Provider, provider_id, with_for_update=True)
    if provider is None or not provider.active:
        raise errors.NotFound(f"provider {provider_id} not found")
    return provider


def _service(s: Session, service_id: int) -> Service:
    service = s.get(Service, service_id)
    if service is None or not service.active:
        raise errors.NotFound(f"service {service_id} not found")
    return service


def _audit(s: Session, actor: str, action: str, appt: Appointment, **details) -> None:
    s.add(AuditEntry(actor=actor, action=action, entity="appointment", entity_id=appt.id,
                     details={"version": appt.version, **details}))
