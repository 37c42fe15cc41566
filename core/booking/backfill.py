"""Backfill: a freed time offered to the waiting list, one client at a time, in the order they joined.

When an appointment is cancelled or moved away, time off is removed, or an offer lapses or is
declined, the worker calls `Backfill.offer_freed` with the provider and the freed time. Each
waiting entry that matches (its service, with that provider or anyone; its window covering a
start that is free now and overlaps the freed time) is offered the first such start, in the
order the entries joined. An offer is two things: a Redis hold for the entry (`holder_of`), so
no chatter sees or books the time, and an `open` row in `waitlist_offers`, written under the
provider's row lock after checking that no other open offer overlaps it (the database refuses
a second open offer of the same start outright). A start another open offer overlaps is not
free for the next entry: the third client in line is never offered a time held for the second.

Answering an offer (take, decline, expiry) is `core.booking.offers`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.booking import errors
from core.booking.availability import block_of
from core.booking.commands import FindSlots
from core.booking.schedules import get_business, read_terms
from core.booking.service import BookingService
from core.booking.slots import FreeSlot
from core.db.models import Provider, WaitlistEntry, WaitlistOffer
from core.db.session import UnitOfWork

log = logging.getLogger(__name__)
ENTRIES_AT_ONCE = 200  # waiting entries looked at for one freed time
MAX_DAYS = 92  # the most the slot finder reads at once
PAST_OFFERS = ("expired", "declined", "gone")  # an entry is not offered again a time it had one of these for


def holder_of(entry_id: int) -> str:
    """Who holds a time offered to a waiting entry (no ':' in it; see `coordination`)."""
    return f"wl{entry_id}"


@dataclass(frozen=True)
class Offered:
    """An offer just made: what the worker tells the client about, and when it lapses."""

    offer_id: int
    client_id: int
    expires_at: datetime


class Backfill:
    """Makes offers of freed time to waiting entries (the worker's side).

    `can_tell_now(client_id)`, when given, says whether the client can be told of an offer now: one who
    cannot (their channel keeps quiet hours, and it is quiet where they are) is passed over for this
    freed time and stays waiting; the next in line is offered it. Which channel reaches whom is the
    notifications' knowledge, not the booking core's: they pass it in."""

    def __init__(self, booking: BookingService, *, can_tell_now: Callable[[int], bool] | None = None):
        self.booking = booking
        self.session_factory = booking.session_factory
        self.can_tell_now = can_tell_now

    def offer_freed(self, provider_id: int, start: datetime, end: datetime) -> list[Offered]:
        """Offer what is free of [start, end) with this provider to the matching waiting entries, in join order."""
        now = self.booking.clock()
        start = max(start, now)
        if end <= start:
            return []
        with UnitOfWork(self.session_factory) as uow:
            entries = _matching(uow.session, provider_id, start, end, now)
        made = []
        for entry in entries:
            if self.can_tell_now is not None and not self.can_tell_now(entry.client_id):
                log.info("waiting list: entry %s passed over for %s: its client cannot be told now", entry.id,
                         start.isoformat())
                continue
            offered = self._offer_one(entry, provider_id, start, end)
            if offered is not None:
                made.append(offered)
        return made

    def _offer_one(self, entry: WaitlistEntry, provider_id: int, start: datetime, end: datetime) -> Offered | None:
        for slot in self._candidates(entry, provider_id, start, end):
            offered = self._offer(entry, slot)
            if offered is not None:
                return offered
        return None

    def _candidates(self, entry: WaitlistEntry, provider_id: int, start: datetime, end: datetime) -> list[FreeSlot]:
        """Free starts for the entry's service in its window that overlap the freed time, the freed start first."""
        low, high = max(start, entry.window_start), min(end, entry.window_end)
        with UnitOfWork(self.session_factory) as uow:
            zone = ZoneInfo(uow.session.get(Provider, provider_id).timezone)
        first, last = low.astimezone(zone).date(), high.astimezone(zone).date()
        last = min(last, first + timedelta(days=MAX_DAYS))
        try:
            free = self.booking.find_slots(FindSlots(entry.service_id, first, last, provider_id))
        except errors.BookingError:
            return []  # the provider stopped offering the service, or it is gone
        fits = [slot for slot in free if slot.start < end and slot.end > start
                and entry.window_start <= slot.start < entry.window_end]
        return sorted(fits, key=lambda slot: (slot.start != start, slot.start))

    def _offer(self, entry: WaitlistEntry, slot: FreeSlot) -> Offered | None:
        """Hold the slot for the entry and record the offer; None when someone got there first."""
        booking, now = self.booking, self.booking.clock()
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            terms = read_terms(s, slot.provider_id, entry.service_id)
            minutes = get_business(s).waitlist_offer_minutes
            if terms is None or terms.shape is None:
                return None
            block = block_of(slot.start, terms.shape)
            if _had(s, entry.id, slot.provider_id, block.start, block.end):
                return None
        ttl = timedelta(minutes=minutes)
        try:
            booking.coordination.place_hold(slot.provider_id, block.start, block.end, holder_of(entry.id), ttl, now)
        except errors.BookingError:
            return None  # a chatter is confirming it right now
        row = self._record(entry, slot, block.start, block.end, now + ttl, now)
        if row is None:
            booking.coordination.release_hold(holder_of(entry.id))
            return None
        log.info("waiting list: offered %s with provider %s to entry %s (offer %s)", slot.start.isoformat(),
                 slot.provider_id, entry.id, row.offer_id)
        return row

    def _record(self, entry: WaitlistEntry, slot: FreeSlot, block_start: datetime, block_end: datetime,
                expires_at: datetime, now: datetime) -> Offered | None:
        """The offer's row, unless another open offer overlaps its block or the entry is no longer waiting."""
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            s.get(Provider, slot.provider_id, with_for_update=True)  # serialises offers of one provider's time
            waiting = s.get(WaitlistEntry, entry.id, with_for_update=True)
            if waiting is None or waiting.status != "waiting" or _overlapping_offer(s, slot.provider_id, block_start,
                                                                                    block_end):
                return None
            offer = WaitlistOffer(entry_id=entry.id, client_id=entry.client_id, service_id=entry.service_id,
                                  provider_id=slot.provider_id, start_at=slot.start, end_at=slot.end,
                                  block_start=block_start, block_end=block_end, status="open",
                                  expires_at=expires_at, created_at=now)
            s.add(offer)
            waiting.status = "offered"
            try:
                s.flush()
            except IntegrityError:  # the database's own refusal: the start, or the entry, has an open offer
                return None
            made = Offered(offer.id, entry.client_id, expires_at)
            uow.commit()
        return made


def _matching(s: Session, provider_id: int, start: datetime, end: datetime, now: datetime) -> list[WaitlistEntry]:
    """Waiting entries this provider could serve whose window overlaps [start, end), oldest first."""
    provider = s.get(Provider, provider_id)
    if provider is None or not provider.active:
        return []
    service_ids = [service.id for service in provider.services if service.active]
    if not service_ids:
        return []
    return list(s.scalars(select(WaitlistEntry).where(
        WaitlistEntry.status == "waiting", WaitlistEntry.service_id.in_(service_ids),
        or_(WaitlistEntry.provider_id.is_(None), WaitlistEntry.provider_id == provider_id),
        WaitlistEntry.window_start < end, WaitlistEntry.window_end > start, WaitlistEntry.window_end > now)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(ENTRIES_AT_ONCE)))


def _overlapping_offer(s: Session, provider_id: int, block_start: datetime, block_end: datetime) -> bool:
    """Whether an open offer (lapsed or not: its expiry passes it on) holds time overlapping the block."""
    return s.scalar(select(WaitlistOffer.id).where(
        WaitlistOffer.provider_id == provider_id, WaitlistOffer.status == "open",
        WaitlistOffer.block_start < block_end, WaitlistOffer.block_end > block_start).limit(1)) is not None


def _had(s: Session, entry_id: int, provider_id: int, block_start: datetime, block_end: datetime) -> bool:
    """Whether the entry was offered this time (or one overlapping it) before and let it go, or it went:
    a client who passed on 14:00 is not offered 13:45 in its place; the next in line is."""
    return s.scalar(select(WaitlistOffer.id).where(
        WaitlistOffer.entry_id == entry_id, WaitlistOffer.provider_id == provider_id,
        WaitlistOffer.block_start < block_end, WaitlistOffer.block_end > block_start,
        WaitlistOffer.status.in_(PAST_OFFERS)).limit(1)) is not None
