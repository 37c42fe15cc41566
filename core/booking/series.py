"""Recurring series: "every Tuesday at 10 for 6 weeks", booked occurrence by occurrence.

The rule is expanded on the provider's wall clock (`recurrence.expand`); each occurrence is then
booked by `BookingService.book`, under every guard of a single booking (the provider's Redis
lock, the database's overlap guard, notice, horizon, daily limits, the per-client cap), with
its own confirmation, reminders and events. An occurrence that cannot be booked is reported
with the core's code and reason and the nearest free starts (that day, or the days around it,
with this provider or another who offers the service); the others are booked all the same.
Each occurrence is then an appointment like any other: it moves or cancels on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.booking import errors
from core.booking.bulk_cancel import Cancellations, cancel_each
from core.booking.commands import Book, FindSlots
from core.booking.recurrence import MAX_OCCURRENCES, Start, expand
from core.booking.schedules import BookingTerms, read_terms
from core.booking.service import BookingService
from core.booking.slots import FreeSlot, require_terms
from core.db.models import ACTIVE_STATUSES, Appointment, AppointmentSeries
from core.db.session import UnitOfWork

__all__ = ["BookSeries", "Conflict", "MAX_OCCURRENCES", "Occurrence", "SeriesBooked", "SeriesService"]
ALTERNATIVES = 3  # nearest free starts shown for an occurrence that cannot be booked
NEARBY_DAYS = 3  # when nothing is free that day, the days this far either side are searched
NO_SUCH_TIME = "no_such_time"


@dataclass(frozen=True)
class BookSeries:
    service_id: int
    provider_id: int
    client_id: int
    start: datetime  # the first occurrence (aware); the rule repeats its wall-clock time
    recurrence: str  # an RFC 5545 RRULE: "FREQ=WEEKLY;COUNT=6"
    idempotency_key: str | None = None
    channel: str | None = None
    notes: str | None = None
    actor: str = "client"
    holder: str | None = None  # whose hold on the first start the booking uses (default: the client's)


@dataclass(frozen=True)
class Conflict:
    """An occurrence not booked: when, why (an error code of `core.booking.errors`, or `no_such_time`)
    and the nearest free starts instead."""

    start: datetime
    code: str
    detail: str
    alternatives: tuple[FreeSlot, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "code": self.code, "detail": self.detail,
                "alternatives": [[s.provider_id, s.start.isoformat(), s.end.isoformat()] for s in self.alternatives]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conflict:
        return cls(datetime.fromisoformat(data["start"]), data["code"], data["detail"], tuple(
            FreeSlot(pid, datetime.fromisoformat(s), datetime.fromisoformat(e)) for pid, s, e in data["alternatives"]))


@dataclass(frozen=True)
class Occurrence:
    """One start of a planned series: free (conflict None) or not, as it stands now."""

    start: datetime
    conflict: Conflict | None = None


@dataclass
class SeriesBooked:
    series_id: int
    booked: list[Appointment] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    replayed: bool = False  # the Idempotency-Key was seen: this is what the first request booked


class SeriesService:
    """Plan, book and cancel recurring series through the booking core's own handlers."""

    def __init__(self, booking: BookingService):
        self.booking = booking

    def plan(self, *, service_id: int, provider_id: int, client_id: int | None, start: datetime, recurrence: str,
             holder: str | None = None) -> list[Occurrence]:
        """Each start of the series and whether it could be booked now (nothing is booked or held)."""
        terms, starts = self._expand(service_id, provider_id, client_id, start, recurrence)
        slots, taken = self.booking.slots, 0
        occurrences = []
        with UnitOfWork(self.booking.session_factory) as uow:
            for when in starts:
                refused = _skipped(when, terms)
                if refused is None and _capped(terms, taken):
                    refused = errors.BookingLimitReached("that would be more upcoming bookings than one client may have")
                if refused is None:
                    try:
                        slots.check(uow.session, terms, when.utc, holder or _holder(client_id))
                    except (errors.SlotUnavailable, errors.SlotTaken) as exc:
                        refused = exc
                taken += refused is None
                occurrences.append(Occurrence(when.utc, None if refused is None else _conflict(when, refused)))
        return [o if o.conflict is None else Occurrence(o.start, self._with_alternatives(o.conflict, terms, holder))
                for o in occurrences]

    def book(self, cmd: BookSeries) -> SeriesBooked:
        """Book every occurrence that can be; report the others. Replays the first answer for a key seen before."""
        terms, starts = self._expand(cmd.service_id, cmd.provider_id, cmd.client_id, cmd.start, cmd.recurrence)
        seen = self._replay(cmd)
        if seen is not None:
            return seen
        try:
            series_id = self._create(cmd, terms)
        except IntegrityError:  # the same key in a request running alongside: answer as it did
            seen = self._replay(cmd)
            if seen is None:
                raise
            return seen
        outcome = SeriesBooked(series_id)
        refusals: list[tuple[Start, errors.BookingError]] = []
        for when in starts:
            refused = _skipped(when, terms)
            if refused is None:
                try:
                    appt, _ = self.booking.book(Book(
                        cmd.service_id, cmd.provider_id, cmd.client_id, when.utc, channel=cmd.channel,
                        notes=cmd.notes, actor=cmd.actor, holder=cmd.holder, series_id=series_id))
                    outcome.booked.append(appt)
                    continue
                except (errors.NotFound, errors.InvalidRequest):
                    raise  # the provider or service went meanwhile: nothing else would book either
                except errors.BookingError as exc:
                    refused = exc
            refusals.append((when, refused))
        outcome.conflicts = [self._with_alternatives(_conflict(when, exc), terms, cmd.holder) for when, exc in refusals]
        self._record(series_id, outcome.conflicts)
        return outcome

    def cancel(self, series_id: int, *, start: datetime | None = None, reason: str | None = None,
               actor: str = "client") -> Cancellations:
        """Cancel the series' standing occurrences from `start` on (default: those still to come); the
        earlier ones stay. Each is cancelled as one would be on its own (its client told, its reminders gone)."""
        now = self.booking.clock()
        since = max(start, now) if start is not None else now
        with UnitOfWork(self.booking.session_factory) as uow:
            if uow.session.get(AppointmentSeries, series_id) is None:
                raise errors.NotFound(f"series {series_id} not found")
            ids = list(uow.session.scalars(select(Appointment.id).where(
                Appointment.series_id == series_id, Appointment.start_at >= since,
                Appointment.status.in_(ACTIVE_STATUSES)).order_by(Appointment.start_at)))
        return cancel_each(self.booking, ids, reason=reason, actor=actor)

    # -- steps -----------------------------------------------------------------------------------
    def _expand(self, service_id: int, provider_id: int, client_id: int | None, start: datetime,
                recurrence: str) -> tuple[BookingTerms, list[Start]]:
        if start.tzinfo is None:
            raise errors.InvalidRequest("the start time needs a time zone offset")
        now = self.booking.clock()
        with UnitOfWork(self.booking.session_factory) as uow:
            terms = require_terms(read_terms(uow.session, provider_id, service_id, client_id=client_id, now=now),
                                  provider_id, service_id, client_id=client_id)
        return terms, expand(recurrence, start, terms.timezone, until=now + terms.rules.horizon)

    def _create(self, cmd: BookSeries, terms: BookingTerms) -> int:
        with UnitOfWork(self.booking.session_factory, write=True) as uow:
            row = AppointmentSeries(client_id=cmd.client_id, service_id=cmd.service_id, provider_id=cmd.provider_id,
                                    start_at=cmd.start.astimezone(timezone.utc), recurrence=cmd.recurrence.strip(),
                                    timezone=terms.timezone, idempotency_key=cmd.idempotency_key, conflicts=[],
                                    created_at=self.booking.clock())
            uow.session.add(row)
            uow.session.flush()
            uow.commit()
            return row.id

    def _record(self, series_id: int, conflicts: list[Conflict]) -> None:
        with UnitOfWork(self.booking.session_factory, write=True) as uow:
            uow.session.get(AppointmentSeries, series_id).conflicts = [c.to_json() for c in conflicts]
            uow.commit()

    def _replay(self, cmd: BookSeries) -> SeriesBooked | None:
        if cmd.idempotency_key is None:
            return None
        with UnitOfWork(self.booking.session_factory) as uow:
            s = uow.session
            seen = s.scalar(select(AppointmentSeries).where(AppointmentSeries.idempotency_key == cmd.idempotency_key))
            if seen is None:
                return None
            differs = [name for name, first, now in (
                ("service", seen.service_id, cmd.service_id), ("provider", seen.provider_id, cmd.provider_id),
                ("client", seen.client_id, cmd.client_id), ("start time", seen.start_at, cmd.start),
                ("recurrence", seen.recurrence, cmd.recurrence.strip())) if first != now]
            if differs:
                raise errors.IdempotencyKeyReused(f"this Idempotency-Key was already used for a series with another "
                                                  f"{' and '.join(differs)}; send a new key for a new series")
            booked = list(s.scalars(select(Appointment).where(Appointment.series_id == seen.id)
                                    .order_by(Appointment.start_at, Appointment.id)))
            return SeriesBooked(seen.id, booked, [Conflict.from_json(c) for c in seen.conflicts or []], replayed=True)

    def _with_alternatives(self, conflict: Conflict, terms: BookingTerms, holder: str | None) -> Conflict:
        """The conflict with the nearest free starts that day (any provider offering the service), else nearby."""
        zone = ZoneInfo(terms.timezone)
        day = conflict.start.astimezone(zone).date()
        for first, last in ((day, day), (day - timedelta(days=NEARBY_DAYS), day + timedelta(days=NEARBY_DAYS))):
            free = self.booking.find_slots(FindSlots(terms.service_id, first, last, holder=holder))
            if free:
                return Conflict(conflict.start, conflict.code, conflict.detail,
                                nearest(free, conflict.start, terms.provider_id))
        return conflict


def nearest(free: list[FreeSlot], wanted: datetime, provider_id: int) -> tuple[FreeSlot, ...]:
    """Up to `ALTERNATIVES` free starts nearest `wanted`: the provider's own two nearest and the nearest
    of each other provider, so a client sees "11:00 with Sam" beside "10:00 with Alex"."""
    def distance(slot: FreeSlot) -> tuple:
        return abs(slot.start - wanted), slot.start, slot.provider_id

    own = sorted((s for s in free if s.provider_id == provider_id), key=distance)[:2]
    others: dict[int, FreeSlot] = {}
    for slot in sorted((s for s in free if s.provider_id != provider_id), key=distance):
        others.setdefault(slot.provider_id, slot)
    return tuple(sorted([*own, *others.values()], key=distance)[:ALTERNATIVES])


def _skipped(when: Start, terms: BookingTerms) -> errors.BookingError | None:
    """Why an occurrence is not even tried: its wall time does not exist that day."""
    if when.exists:
        return None
    return _NoSuchTime(f"{when.local:%H:%M} does not happen on {when.local:%a} {when.local.day} {when.local:%b} "
                       f"in {terms.timezone} (the clocks go forward)")


def _capped(terms: BookingTerms, taken: int) -> bool:
    cap = terms.max_future_bookings
    return cap is not None and terms.client_upcoming + taken >= cap


def _conflict(when: Start, exc: errors.BookingError) -> Conflict:
    return Conflict(when.utc, exc.code, str(exc))


def _holder(client_id: int | None) -> str | None:
    return None if client_id is None else str(client_id)


class _NoSuchTime(errors.SlotUnavailable):
    code = NO_SUCH_TIME
