"""The booking core's handlers: book, reschedule, cancel, mark, hold, list.

Every change takes the provider's Redis lock (to narrow contention), then runs one write
transaction that reads and locks the provider's row with all the decision needs (one query,
see `schedules.read_terms`), re-checks the slot and inserts or updates. The database's own
guard against overlaps (an exclusion constraint on PostgreSQL, a trigger on SQLite) stands
behind the check, and a violation of it becomes `SlotTaken` or `ResourceBusy`: for a new
booking it is what finds an overlap, as the day's appointments are not read first (see
`SlotFinder.check`).
"""
from __future__ import annotations

import logging
import secrets
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking import errors, events, outbox
from core.booking.access import PROVIDER, role_of
from core.booking.availability import block_of
from core.booking.commands import Book, Cancel, FindSlots, HoldSlot, Reschedule, SetStatus
from core.booking.coordination import Coordination, Hold
from core.booking.appointments import book_appointment, write_audit
from core.booking.schedules import BookingTerms, get_business, read_terms
from core.booking.slots import FreeSlot, SlotFinder, require_terms
from core.db.models import ACTIVE_STATUSES, Appointment, AppointmentResource, AuditEntry
from core.clock import utcnow
from core.db.session import UnitOfWork

log = logging.getLogger(__name__)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
assert 256 % len(CODE_ALPHABET) == 0, "a byte must map evenly onto the alphabet"
CLIENT = "client"  # the role of a client's own change: in a chat (`client`) or with their token (`client:<id>`)
MARKABLE = {"confirmed": {"pending", "confirmed"}, "completed": {"pending", "confirmed", "no_show"},
            "no_show": {"pending", "confirmed", "completed"}}


def new_confirmation_code() -> str:
    # 32 characters: a random byte modulo 32 picks each evenly, and one call gets all six bytes.
    return "".join(CODE_ALPHABET[byte % len(CODE_ALPHABET)] for byte in secrets.token_bytes(6))


class BookingService:
    """The booking core's entry point for every edge (REST, chat, Slack actions, workers).

    Every change writes its events to the outbox in its own transaction (`core.booking.outbox`);
    `publish` is then called with the outbox rows it wrote, to relay them at once if it can (best effort:
    whatever it cannot relay waits in the outbox for the worker's relay)."""

    def __init__(self, session_factory: sessionmaker[Session], coordination: Coordination, *,
                 clock: Callable[[], datetime] = utcnow, publish: Callable[[list], None] | None = None):
        self.session_factory = session_factory
        self.coordination = coordination
        self.clock = clock
        self.publish = publish or (lambda _events: None)
        self.slots = SlotFinder(coordination, clock)

    # -- reading ---------------------------------------------------------------------------
    def find_slots(self, cmd: FindSlots) -> list[FreeSlot]:
        with UnitOfWork(self.session_factory, autocommit=True) as uow:  # reads only: no BEGIN/ROLLBACK
            return self.slots.find(uow.session, cmd)

    def get(self, appointment_id: int) -> Appointment:
        with UnitOfWork(self.session_factory, autocommit=True) as uow:
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
        with UnitOfWork(self.session_factory, autocommit=True) as uow:
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
        with (self.coordination.provider_lock(cmd.provider_id, self.clock()) as lock,
              UnitOfWork(self.session_factory, write=True) as uow):
            s = uow.session
            # One query reads (and locks) the provider with all this booking needs to know.
            terms = read_terms(s, cmd.provider_id, cmd.service_id, client_id=cmd.client_id,
                               key=cmd.idempotency_key, lock=True, now=self.clock())
            if cmd.idempotency_key and (seen := _booked_under(s, terms, cmd.idempotency_key)) is not None:
                return _replay(s, seen, cmd), True
            require_terms(terms, cmd.provider_id, cmd.service_id, client_id=cmd.client_id)
            _within_cap(terms)
            _no_show_rule(s, terms, cmd.actor)
            start = cmd.start.astimezone(timezone.utc)
            self.slots.check(s, terms, start, cmd.holder_key, holds=lock.holds_against(cmd.holder_key), inserting=True)
            try:
                now = self.clock()
                # The appointment, its audit row and the event announcing it (on PostgreSQL in one statement).
                appt, announced = book_appointment(s, _new_row(cmd, terms, start, now), terms.resource_ids,
                                                   actor=cmd.actor, at=now, start=start.isoformat(),
                                                   provider=terms.provider_id)
            except IntegrityError as exc:
                s.rollback()
                if cmd.idempotency_key and (seen := _by_key(s, cmd.idempotency_key)) is not None:
                    return _replay(s, seen, cmd), True
                raise _integrity_error(exc) from exc
            uow.commit()
            lock.release_hold_of = cmd.holder_key  # the hold on the slot is done with
        self.publish(announced)
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
            provider_id = cmd.provider_id or appt.provider_id
            terms = require_terms(read_terms(s, provider_id, appt.service_id, lock=True), provider_id, appt.service_id)
            start = cmd.start.astimezone(timezone.utc)
            previous, previous_provider_id, previous_end = appt.start_at, appt.provider_id, appt.end_at
            holder = cmd.holder or str(appt.client_id)
            self.slots.check(s, terms, start, holder, exclude_appointment_id=appt.id)
            appt.provider_id = terms.provider_id
            _place(appt, terms, start)
            appt.version += 1
            try:
                s.flush()
            except IntegrityError as exc:
                raise _integrity_error(exc) from exc
            write_audit(s, cmd.actor, "reschedule", appt, at=self.clock(), previous=previous.isoformat(), start=start.isoformat())
            moved = events.AppointmentMoved(appt.id, appt.version, previous, previous_provider_id, previous_end)
            announced = outbox.record(s, [moved], self.clock())
            uow.commit()
        self.coordination.release_hold(holder)  # the hold on the new time is done with
        self.publish(announced)
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
            # Late is the client's doing: a provider who cancels late is not counted against them.
            appt.late_cancellation = role_of(cmd.actor) != PROVIDER and appt.start_at - now < window
            appt.status, appt.cancellation_reason = "cancelled", cmd.reason
            appt.version += 1
            for used in appt.resources:
                used.active = False
            write_audit(s, cmd.actor, "cancel", appt, at=self.clock(), reason=cmd.reason, late=appt.late_cancellation)
            announced = outbox.record(s, [events.AppointmentCancelled(appt.id, appt.version, appt.late_cancellation)],
                                      self.clock())
            uow.commit()
        self.publish(announced)
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
            if appt.request_expires_at is not None and appt.status == "pending" and cmd.status == "confirmed":
                raise errors.NotActive("it is a request awaiting the business's approval: approve or decline it")
            if cmd.status in ("completed", "no_show") and appt.start_at > self.clock():
                raise errors.InvalidRequest(f"it cannot be marked {cmd.status.replace('_', '-')} before it starts")
            appt.status = cmd.status
            appt.version += 1
            write_audit(s, cmd.actor, f"mark_{cmd.status}", appt, at=self.clock())
            announced = outbox.record(s, [events.AppointmentStatusChanged(appt.id, appt.version, appt.status)],
                                      self.clock())
            uow.commit()
        self.publish(announced)
        return appt

    def hold(self, cmd: HoldSlot) -> Hold | None:
        """Keep a slot for one client for the business's hold time while they confirm.

        Returns None when Redis is unavailable (the booking is then guarded by the database
        alone); raises `SlotHeld`/`SlotTaken`/... when the slot cannot be held."""
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            terms = require_terms(read_terms(s, cmd.provider_id, cmd.service_id), cmd.provider_id, cmd.service_id,
                                  offered=False)
            start = cmd.start.astimezone(timezone.utc)
            self.slots.check(s, terms, start, str(cmd.holder), exclude_appointment_id=cmd.exclude_appointment_id)
        # The hold covers the buffers too, exactly as a booking's block does, so nobody is
        # offered a time whose block would clash with the slot being confirmed.
        block = block_of(start, terms.shape)
        return self.coordination.place_hold(terms.provider_id, block.start, block.end, str(cmd.holder),
                                            timedelta(minutes=terms.hold_minutes), self.clock(), origin=cmd.origin)

    def may_book(self, client_id: int) -> None:
        """Refuse now, as `book` would, a client the business's rules keep from booking (the cap on upcoming
        bookings, the no-show rule), so the chat can say so before a time is even picked."""
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            business = get_business(s)
            standing = _Standing(business.max_future_bookings, business.no_show_limit)
            if standing.max_future_bookings is not None:
                standing.client_upcoming = s.scalar(select(func.count()).where(
                    Appointment.client_id == client_id, Appointment.start_at > self.clock(),
                    Appointment.status.in_(ACTIVE_STATUSES))) or 0
            if standing.no_show_limit is not None:
                standing.client_no_shows = s.scalar(select(func.count()).where(
                    Appointment.client_id == client_id, Appointment.status == "no_show")) or 0
            _within_cap(standing)
            _no_show_rule(s, standing, CLIENT)

    def release_hold(self, holder: str) -> None:
        """Let go of what `holder` holds (they picked another time, said no, or started over)."""
        self.coordination.release_hold(holder)


def _within_cap(terms: BookingTerms | _Standing) -> None:
    cap, upcoming = terms.max_future_bookings, terms.client_upcoming
    if cap is not None and upcoming >= cap:
        raise errors.BookingLimitReached(
            f"you already have {upcoming} upcoming booking{'s' if upcoming != 1 else ''}, and {cap} at a time is "
            f"the most we can hold for one client. You can see, move or cancel them under My appointments, "
            f"and book another once one has passed", limit=cap, upcoming=upcoming)


@dataclass
class _Standing:
    """A client's record against the business's rules, as `BookingTerms` carries it for one booking."""

    max_future_bookings: int | None
    no_show_limit: int | None
    client_upcoming: int = 0
    client_no_shows: int = 0


def _no_show_rule(s: Session, terms: BookingTerms | _Standing, actor: str) -> None:
    """After the business's number of no-shows, a client books only through the business: the rule holds for
    bookings a client makes themselves (in a chat, or with their own API token), not for the business's own."""
    limit = terms.no_show_limit
    if limit is None or role_of(actor) != CLIENT or terms.client_no_shows < limit:
        return
    business = get_business(s)
    reach = f"get in touch with them at {business.contact}" if business.contact else "get in touch with them"
    missed = terms.client_no_shows
    raise errors.NoShowLimitReached(
        f"as {missed} earlier appointment{'s were' if missed != 1 else ' was'} missed, new bookings are made "
        f"through {business.name} itself. Please {reach}, and they'll gladly book you in",
        limit=limit, upcoming=missed)


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


def _place(appt: Appointment, terms: BookingTerms, start: datetime) -> None:
    """Set the appointment's times and the resources it holds for them."""
    block = block_of(start, terms.shape)
    appt.start_at, appt.end_at = start, start + terms.shape.duration
    appt.block_start, appt.block_end = block.start, block.end
    if not appt.resources and terms.resource_ids:
        appt.resources = [AppointmentResource(resource_id=rid, block_start=block.start, block_end=block.end)
                          for rid in terms.resource_ids]
    for used in appt.resources:
        used.block_start, used.block_end, used.active = block.start, block.end, True


def _new_row(cmd: Book, terms: BookingTerms, start: datetime, now: datetime) -> dict:
    """Every column of a new appointment but its id."""
    block = block_of(start, terms.shape)
    # A service that needs approval is booked as a request: pending (it holds the slot) until the provider
    # answers, lapsing unanswered after the business's hours, or at the start if that is sooner.
    expires = min(now + timedelta(hours=terms.approval_expiry_hours), start) if terms.needs_approval else None
    return dict(service_id=terms.service_id, provider_id=terms.provider_id, client_id=cmd.client_id,
                start_at=start, end_at=start + terms.shape.duration, block_start=block.start, block_end=block.end,
                status="pending" if terms.needs_approval else "confirmed", version=1,
                idempotency_key=cmd.idempotency_key, request_expires_at=expires,
                confirmation_code=new_confirmation_code(), cancellation_reason=None, late_cancellation=False,
                channel=cmd.channel, notes=cmd.notes, series_id=cmd.series_id, created_at=now, updated_at=now)


def _replay(s: Session, seen: Appointment, cmd: Book) -> Appointment:
    """The booking made under the key, when `cmd` asks for that booking again; anything else is refused.

    It is compared with what was first asked, not with what it is now: it may have been moved since."""
    provider_id, start = _first_asked(s, seen)
    differs = [name for name, first, now in (
        ("service", seen.service_id, cmd.service_id), ("provider", provider_id, cmd.provider_id),
        ("client", seen.client_id, cmd.client_id), ("start time", start, cmd.start),
        ("notes", seen.notes, cmd.notes)) if first != now]
    if differs:
        asked = f" (it asked for {start.astimezone(timezone.utc).isoformat()})" if "start time" in differs else ""
        raise errors.IdempotencyKeyReused(f"this Idempotency-Key was already used for a booking with another "
                                          f"{' and '.join(differs)}{asked}; send a new key for a new booking")
    return seen


def _first_asked(s: Session, seen: Appointment) -> tuple[int, datetime]:
    """The provider and start the booking under the key was made for, from its "book" audit entry."""
    if seen.version == 1:
        return seen.provider_id, seen.start_at  # unchanged since it was booked
    details = s.scalar(select(AuditEntry.details).where(
        AuditEntry.entity == "appointment", AuditEntry.entity_id == seen.id, AuditEntry.action == "book")) or {}
    start = datetime.fromisoformat(details["start"]) if details.get("start") else seen.start_at
    return details.get("provider", seen.provider_id), start


def _booked_under(s: Session, terms: BookingTerms | None, key: str) -> Appointment | None:
    """The appointment booked under `key`, which `read_terms` looked up, unless it found no provider."""
    if terms is None:
        return _by_key(s, key)  # a replay still answers when the provider has gone since
    return None if terms.booked_id is None else s.get(Appointment, terms.booked_id)


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
