"""The `Bookings` port (see `ports.py`) over the booking core: commands in, appointments out."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from core.booking import clients, errors, waitlist
from core.booking.commands import Book, Cancel, FindSlots, HoldSlot, Reschedule, SetStatus
from core.booking.offers import Offers, OfferView, Taken
from core.booking.series import BookSeries, Occurrence, SeriesBooked, SeriesService
from core.booking.service import BookingService
from core.booking.slots import FreeSlot as OfferedSlot
from core.db.models import Appointment, WaitlistEntry
from core.db.session import UnitOfWork

STANDING = ("pending", "confirmed")


class CoreBookings:
    """What a chat may do with bookings, as the booking core's commands; the Desk hands it out."""

    def __init__(self, booking: BookingService, session_factory: sessionmaker[Session]):
        self._booking = booking
        self._session_factory = session_factory

    @property
    def _offers(self) -> Offers:
        return Offers(self._booking)  # made when used: a stand-in core built over nothing still builds

    def find_slots(self, *, service_id: int, provider_id: int | None, first_day: date, last_day: date,
                   holder: str, moving: int | None = None, not_before: datetime | None = None,
                   before: datetime | None = None, limit: int | None = None) -> list[OfferedSlot]:
        return self._booking.find_slots(FindSlots(service_id, first_day, last_day, provider_id, holder=holder,
                                                  exclude_appointment_id=moving, not_before=not_before,
                                                  before=before, limit=limit))

    def hold(self, *, service_id: int, provider_id: int, start: datetime, holder: str, origin: str | None,
             moving: int | None = None) -> None:
        self._booking.hold(HoldSlot(service_id, provider_id, holder, start, origin=origin,
                                    exclude_appointment_id=moving))

    def release_hold(self, holder: str) -> None:
        self._booking.release_hold(holder)

    def may_book(self, client_id: int) -> None:
        self._booking.may_book(client_id)

    def book(self, *, service_id: int, provider_id: int, client_id: int, start: datetime, key: str,
             channel: str, holder: str) -> Appointment:
        appointment, _made = self._booking.book(Book(service_id, provider_id, client_id, start, idempotency_key=key,
                                                     channel=channel, holder=holder))
        return appointment

    def move(self, appointment_id: int, *, start: datetime, provider_id: int, holder: str | None = None) -> Appointment:
        return self._booking.reschedule(Reschedule(appointment_id, start, provider_id, holder=holder))

    def cancel(self, appointment_id: int, *, reason: str) -> Appointment:
        return self._booking.cancel(Cancel(appointment_id, reason=reason))

    def confirm(self, appointment_id: int) -> Appointment:
        return self._booking.set_status(SetStatus(appointment_id, "confirmed", actor="client"))

    def appointment(self, appointment_id: int) -> Appointment | None:
        try:
            return self._booking.get(appointment_id)
        except errors.NotFound:
            return None

    def upcoming(self, client_id: int | None) -> list[Appointment]:
        if client_id is None:
            return []
        found = []
        for someone in (client_id, *self.booked_for(client_id)):
            found += self._booking.list(client_id=someone, start=self._booking.clock(), statuses=STANDING)
        return sorted(found, key=lambda a: (a.start_at, a.id))

    def booked_for(self, client_id: int | None) -> dict[int, str]:
        return {} if client_id is None else clients.booked_by(self._session_factory, client_id)

    def join_waitlist(self, *, client_id: int, service_id: int, provider_id: int | None, start: datetime,
                      end: datetime, channel: str) -> None:
        with UnitOfWork(self._session_factory, write=True) as uow:
            waitlist.join(uow.session, client_id=client_id, service_id=service_id, provider_id=provider_id,
                          start=start, end=end, channel=channel)
            uow.commit()

    def waiting(self, client_id: int | None) -> list[WaitlistEntry]:
        if client_id is None:
            return []
        with UnitOfWork(self._session_factory) as uow:
            return waitlist.waiting_for(uow.session, client_id, self._booking.clock())

    def plan_series(self, *, service_id: int, provider_id: int, client_id: int | None, start: datetime,
                    recurrence: str, holder: str) -> list[Occurrence]:
        return SeriesService(self._booking).plan(service_id=service_id, provider_id=provider_id, client_id=client_id,
                                                 start=start, recurrence=recurrence, holder=holder)

    def book_series(self, *, service_id: int, provider_id: int, client_id: int, start: datetime, recurrence: str,
                    key: str, channel: str, holder: str) -> SeriesBooked:
        return SeriesService(self._booking).book(BookSeries(service_id, provider_id, client_id, start, recurrence,
                                                            idempotency_key=key, channel=channel, holder=holder))

    def take_offer(self, offer_id: int, *, client_id: int | None, channel: str) -> Taken:
        return self._offers.take(offer_id, client_id=client_id, channel=channel)

    def decline_offer(self, offer_id: int, *, client_id: int | None) -> OfferView:
        return self._offers.decline(offer_id, client_id=client_id)

    def leave_waitlist(self, *, entry_id: int, client_id: int | None) -> None:
        if all(entry.id != entry_id for entry in self.waiting(client_id)):  # only one's own, still open
            raise errors.NotFound("that waiting-list entry is not yours, or it is no longer open")
        self._offers.leave(entry_id)  # an offer out to it is let go, and passes to the next in line
