"""The waiting list's side of the worker: freed time offered, each offer told and timed out.

A booking event that frees time (a cancellation, a move away from a time, time off removed,
an offer declined or lapsed: see `core.booking.events.TimeFreed`) reaches the worker through
the outbox like any other, and `on_event` hands the freed time to `Backfill`. Each offer made
becomes a notification (kind "waitlist_offer", delivered over the client's own channel by
`Delivery`) and an "offer_expiry" job at its expiry; the sweep closes lapsed offers whose job
was lost, and expires entries whose window has passed. A client who would be told by a channel
keeping quiet hours (SMS) while it is quiet where they are is passed over for that freed time
(`can_tell_now`): they stay waiting, and later times are offered to them as usual.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from core.booking.backfill import Backfill, Offered
from core.booking.offers import Offers
from core.booking.service import BookingService
from core.booking.schedules import get_business
from core.db.models import Appointment, User
from core.db.session import UnitOfWork
from core.notifications.offer_texts import KIND
from core.notifications.ports import Jobs, deliver_now
from core.notifications.records import ensure
from core.notifications.sender import NoChannel, Outbox
from core.notifications.timing import QuietHours, is_quiet

log = logging.getLogger(__name__)
EXPIRY_JOB = "offer_expiry"


def expiry_job_id(offer_id: int) -> str:
    return f"slotline-offer-{offer_id}"


class WaitingList:
    """Offers freed time (`on_event`), lapses offers (`expire`), and sweeps (`sweep`)."""

    def __init__(self, booking: BookingService, jobs: Jobs, *, clock: Callable[[], datetime],
                 outbox: Outbox | None = None):
        self.session_factory: sessionmaker[Session] = booking.session_factory
        self.outbox = outbox
        self.backfill = Backfill(booking, can_tell_now=self.can_tell_now if outbox is not None else None)
        self.offers = Offers(booking)
        self.jobs, self.clock = jobs, clock

    def can_tell_now(self, client_id: int) -> bool:
        """Whether an offer would reach the client now: not when their channel keeps quiet hours (SMS) and it
        is quiet where they are. An offer is held only minutes, so it is not kept for the morning: the next
        in line who can be told now has it. Nor someone no channel reaches at all (every address opted out):
        the time would sit held for a message that cannot go; they stay on the list."""
        try:
            sender, _recipient = self.outbox.route(client_id)
        except NoChannel:
            return False
        if not sender.quiet_hours:
            return True
        with UnitOfWork(self.session_factory) as uow:
            client, business = uow.session.get(User, client_id), get_business(uow.session)
            zone = (client.timezone if client is not None else None) or business.timezone
            quiet = QuietHours(business.sms_quiet_start, business.sms_quiet_end)
        return not is_quiet(self.clock(), zone, quiet)

    def on_event(self, kind: str, appointment_id: int | None, extra: dict | None) -> list[Offered]:
        """Offer the time the event freed, if it freed any; returns the offers made."""
        freed = self._freed(kind, appointment_id, extra or {})
        if freed is None:
            return []
        made = self.backfill.offer_freed(*freed)
        self._announce(made)
        return made

    def expire(self, offer_id: int) -> bool:
        """The offer's time is up: close it; the time it held passes on (through the outbox)."""
        return self.offers.expire(offer_id)

    def sweep(self) -> None:
        if lapsed := self.offers.expire_due():
            log.info("sweep: closed %d lapsed waiting-list offer(s)", len(lapsed))
        if ended := self.offers.expire_entries():
            log.info("sweep: %d waiting-list entr%s expired with their window", ended, "y" if ended == 1 else "ies")

    def _freed(self, kind: str, appointment_id: int | None, extra: dict) -> tuple[int, datetime, datetime] | None:
        if kind == "freed":
            return (int(extra["provider_id"]), datetime.fromisoformat(extra["start"]),
                    datetime.fromisoformat(extra["end"]))
        if kind not in ("cancelled", "moved") or appointment_id is None:
            return None
        with UnitOfWork(self.session_factory) as uow:
            appt = uow.session.get(Appointment, appointment_id)
            if appt is None:
                return None
            if kind == "cancelled":
                return (appt.provider_id, appt.start_at, appt.end_at) if appt.status == "cancelled" else None
            if not extra.get("previous_start"):
                return None
            was = datetime.fromisoformat(extra["previous_start"])
            # The provider it left and when it ended there; an event from before these were carried has
            # neither: the appointment's own provider, and its length now.
            provider_id = extra.get("previous_provider_id") or appt.provider_id
            until = extra.get("previous_end")
            return (int(provider_id), was,
                    datetime.fromisoformat(until) if until else was + (appt.end_at - appt.start_at))

    def _announce(self, made: list[Offered]) -> None:
        """A notification for each offer, sent at once, and its expiry job."""
        queued = []
        with UnitOfWork(self.session_factory, write=True) as uow:
            for offer in made:
                row, new = ensure(uow.session, key=f"offer:{offer.offer_id}", kind=KIND, status="queued",
                                  user_id=offer.client_id, payload={"offer_id": offer.offer_id})
                if new:
                    queued.append(row.id)
            uow.commit()
        for offer in made:
            # A second after it lapses, so the job never finds it a moment early.
            self.jobs.enqueue_at(offer.expires_at + timedelta(seconds=1), EXPIRY_JOB, offer.offer_id,
                                 job_id=expiry_job_id(offer.offer_id))
        deliver_now(self.jobs, queued)
