"""Answering a waiting-list offer: take it (a booking in one tap), decline it, or let it lapse; leaving the list.

Taking books through `BookingService.book` under the same guards as any booking, with the offer's
hold as the holder and the offer as the idempotency key (a second tap books nothing more). An
offer no longer open, lapsed, or whose time is no longer free raises `OfferUnavailable`, which
carries the offer as it is now so the edge can say kindly what happened. Declining, lapsing and
leaving give the time back: the offer's row and a `TimeFreed` event are written in one
transaction, so the worker passes the time on to the next waiting client even if Redis was away.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.booking import audit, errors, events, outbox
from core.booking.backfill import holder_of
from core.booking.commands import Book
from core.booking.schedules import get_business
from core.booking.service import BookingService
from core.db.models import (
    ACTIVE_STATUSES, Appointment, Provider, Service, User, WaitlistEntry, WaitlistOffer,
)
from core.db.session import UnitOfWork

DUE_AT_ONCE = 200  # lapsed offers closed per sweep
LATE_HOLD = timedelta(minutes=1)  # a lapsed offer's time, held while it is booked anyway


@dataclass(frozen=True)
class OfferView:
    """An offer as a message about it shows it, read now."""

    id: int
    entry_id: int
    client_id: int
    service_id: int
    service: str
    provider_id: int
    provider: str
    start: datetime
    end: datetime
    block_start: datetime  # the time it holds with the service's buffers
    block_end: datetime
    status: str  # open | taken | expired | gone | declined
    expires_at: datetime
    minutes: int  # how long the business holds an offer
    appointment_id: int | None
    entry_status: str  # the waiting-list entry's: waiting | offered | booked | expired | left
    window_start: datetime
    window_end: datetime
    booked_by_another: bool  # the time is someone else's appointment now
    client_zone: str
    client_name: str
    business: str

    @property
    def still_waiting(self) -> bool:
        return self.entry_status in ("waiting", "offered")


class OfferUnavailable(errors.BookingError):
    """The offer can no longer be taken: taken by someone else, lapsed, declined, or the time is gone."""

    code = "offer_unavailable"

    def __init__(self, message: str, offer: OfferView):
        super().__init__(message)
        self.offer = offer


@dataclass(frozen=True)
class Taken:
    """An offer taken: the appointment, and whether the offer had lapsed and the time was booked anyway."""

    appointment: Appointment
    late: bool = False


class Offers:
    """Take, decline, lapse and leave; each over the booking core's database and holds."""

    def __init__(self, booking: BookingService):
        self.booking = booking
        self.session_factory = booking.session_factory

    def view(self, offer_id: int) -> OfferView | None:
        with UnitOfWork(self.session_factory) as uow:
            return view_of(uow.session, offer_id)

    def take(self, offer_id: int, *, client_id: int | None, channel: str | None) -> Taken:
        """Book the offered time for the client it was offered to. An offer that lapsed is booked all the
        same (`Taken.late`) while its time is still free and held for nobody else."""
        offer = self._own(offer_id, client_id)
        if offer.status == "taken" and offer.appointment_id is not None:
            return Taken(self.booking.get(offer.appointment_id))  # tapped twice
        if offer.status == "expired" or (offer.status == "open" and offer.expires_at <= self.booking.clock()):
            return Taken(self._take_late(offer, channel), late=True)
        if offer.status != "open":
            raise OfferUnavailable(_why(offer), offer)
        try:
            appt = self._book(offer, channel)
        except (errors.SlotTaken, errors.SlotUnavailable):
            self._close(offer.id, "gone", free=False)
            gone = self.view(offer.id)
            raise OfferUnavailable(_why(gone), gone) from None
        self._taken(offer, appt)
        return Taken(appt)

    def _take_late(self, offer: OfferView, channel: str | None) -> Appointment:
        """A lapsed offer's time, if it is still free and held for nobody else: held for the client while
        it is booked under the usual guards, so it is not offered to the next in line meanwhile."""
        booking, now = self.booking, self.booking.clock()
        if offer.booked_by_another or not offer.still_waiting:
            raise OfferUnavailable(_why(offer), offer)
        with UnitOfWork(self.session_factory) as uow:
            passed_on = uow.session.scalar(select(WaitlistOffer.id).where(
                WaitlistOffer.id != offer.id, WaitlistOffer.provider_id == offer.provider_id,
                WaitlistOffer.status == "open", WaitlistOffer.block_start < offer.block_end,
                WaitlistOffer.block_end > offer.block_start).limit(1))
        if passed_on is not None:  # held for the next in line now (even were Redis to have lost the hold)
            raise OfferUnavailable(_why(offer), offer)
        holder = holder_of(offer.entry_id)
        try:
            booking.coordination.place_hold(offer.provider_id, offer.block_start, offer.block_end, holder,
                                            LATE_HOLD, now)
            appt = self._book(offer, channel)
        except (errors.SlotTaken, errors.SlotUnavailable):
            booking.coordination.release_hold(holder)
            now_gone = self.view(offer.id)
            raise OfferUnavailable(_why(now_gone), now_gone) from None
        except errors.BookingError:
            booking.coordination.release_hold(holder)
            raise
        self._taken(offer, appt)
        return appt

    def _book(self, offer: OfferView, channel: str | None) -> Appointment:
        appt, _ = self.booking.book(Book(offer.service_id, offer.provider_id, offer.client_id, offer.start,
                                         idempotency_key=f"waitlist-offer-{offer.id}", channel=channel,
                                         actor="client", holder=holder_of(offer.entry_id)))
        return appt

    def _taken(self, offer: OfferView, appt: Appointment) -> None:
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            s.execute(update(WaitlistOffer).where(WaitlistOffer.id == offer.id).values(
                status="taken", appointment_id=appt.id, answered_at=self.booking.clock()))
            s.execute(update(WaitlistEntry).where(WaitlistEntry.id == offer.entry_id).values(status="booked"))
            uow.commit()

    def decline(self, offer_id: int, *, client_id: int | None) -> OfferView:
        """"No thanks": the client stays on the list, and the time passes to the next in line."""
        offer = self._own(offer_id, client_id)
        if offer.status == "open":
            self._close(offer.id, "declined")
        return self.view(offer.id)

    def expire(self, offer_id: int) -> bool:
        """Close the offer if it has lapsed (its job, or the sweep); True when it was still open."""
        return self._close(offer_id, "expired", due_only=True)

    def expire_due(self) -> list[int]:
        """Close every lapsed offer (the sweep's safety net, when an expiry job was lost)."""
        with UnitOfWork(self.session_factory) as uow:
            due = list(uow.session.scalars(select(WaitlistOffer.id).where(
                WaitlistOffer.status == "open", WaitlistOffer.expires_at <= self.booking.clock())
                .order_by(WaitlistOffer.id).limit(DUE_AT_ONCE)))
        return [offer_id for offer_id in due if self.expire(offer_id)]

    def expire_entries(self) -> int:
        """Entries whose window has passed leave the list as expired; returns how many."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            gone = uow.session.execute(update(WaitlistEntry).where(
                WaitlistEntry.status == "waiting", WaitlistEntry.window_end <= self.booking.clock())
                .values(status="expired")).rowcount
            uow.commit()
        return gone or 0

    def leave(self, entry_id: int, *, actor: str = "client") -> WaitlistEntry:
        """Take the entry off the list; an open offer to it is let go (and passed on). Recorded in the
        audit log as `actor`'s when the entry was still open."""
        with UnitOfWork(self.session_factory) as uow:
            entry = uow.session.get(WaitlistEntry, entry_id)
            if entry is None:
                raise errors.NotFound(f"waiting-list entry {entry_id} not found")
            open_ = uow.session.scalar(select(WaitlistOffer.id).where(
                WaitlistOffer.entry_id == entry_id, WaitlistOffer.status == "open"))
        if open_ is not None:
            self._close(open_, "declined")
        with UnitOfWork(self.session_factory, write=True) as uow:
            entry = uow.session.get(WaitlistEntry, entry_id)
            if entry.status in ("waiting", "offered"):
                entry.status = "left"
                audit.record(uow.session, actor, "leave", "waitlist_entry", entry_id, at=self.booking.clock(),
                             clientId=entry.client_id)
            uow.commit()
            return entry

    def _own(self, offer_id: int, client_id: int | None) -> OfferView:
        offer = self.view(offer_id)
        if offer is None or client_id is None or offer.client_id != client_id:
            raise errors.NotFound("that offer is not yours, or it no longer exists")
        return offer

    def _close(self, offer_id: int, status: str, *, due_only: bool = False, free: bool = True) -> bool:
        """End an open offer: the entry waits again (or expires with its window), the hold goes, and
        (`free`) the time is announced free again, in the same transaction."""
        now = self.booking.clock()
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            offer = s.get(WaitlistOffer, offer_id, with_for_update=True)
            if offer is None or offer.status != "open" or (due_only and offer.expires_at > now):
                return False
            offer.status, offer.answered_at = status, now
            entry = s.get(WaitlistEntry, offer.entry_id, with_for_update=True)
            if entry is not None and entry.status == "offered":
                entry.status = "waiting" if entry.window_end > now else "expired"
            freed = [events.TimeFreed(offer.provider_id, offer.start_at, offer.end_at)] if free else []
            announced = outbox.record(s, freed, now)
            entry_id = offer.entry_id
            uow.commit()
        self.booking.coordination.release_hold(holder_of(entry_id))
        self.booking.publish(announced)
        return True


def view_of(s: Session, offer_id: int) -> OfferView | None:
    offer = s.get(WaitlistOffer, offer_id)
    if offer is None:
        return None
    entry, client = s.get(WaitlistEntry, offer.entry_id), s.get(User, offer.client_id)
    business = get_business(s)
    taken = s.scalar(select(Appointment.id).where(
        Appointment.provider_id == offer.provider_id, Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.client_id != offer.client_id, Appointment.block_start < offer.block_end,
        Appointment.block_end > offer.block_start).limit(1)) is not None
    return OfferView(
        id=offer.id, entry_id=offer.entry_id, client_id=offer.client_id, service_id=offer.service_id,
        service=s.get(Service, offer.service_id).name, provider_id=offer.provider_id,
        provider=s.get(Provider, offer.provider_id).name, start=offer.start_at, end=offer.end_at,
        block_start=offer.block_start, block_end=offer.block_end, status=offer.status, expires_at=offer.expires_at,
        minutes=business.waitlist_offer_minutes,
        appointment_id=offer.appointment_id, entry_status=entry.status, window_start=entry.window_start,
        window_end=entry.window_end, booked_by_another=taken,
        client_zone=client.timezone or business.timezone, client_name=client.name or "", business=business.name)


def _why(offer: OfferView) -> str:
    if offer.booked_by_another or offer.status == "gone":
        return "that time has just been booked by someone else"
    if offer.status == "declined":
        return "that offer was turned down"
    return "that offer has expired"
