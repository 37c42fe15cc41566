"""What a signed manage link may do: show its one appointment, confirm it, cancel it, or move it.

The link (see `links`) names the appointment and nothing else: whoever holds it acts as that
appointment's client, on that appointment only. It is refused once the appointment is over
(`LinkExpired`), whatever its time is by then. Moving offers the next free times with the same
provider, and takes one of them; the booking core checks it again as it moves.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from core.booking import errors
from core.booking.commands import Cancel, FindSlots, Reschedule, SetStatus
from core.booking.service import BookingService
from core.db.session import UnitOfWork
from core.notifications import records
from core.notifications.links import BadLink, Links
from core.notifications.texts import AppointmentFacts

ACTOR = "client"  # the link stands for the appointment's client
FREE_TIMES = 6
LOOK_AHEAD = timedelta(days=21)
REASON = "cancelled by the client from the manage link"

__all__ = ["BadLink", "LinkExpired", "ManageLink"]


class LinkExpired(Exception):
    """The appointment is over: its link does nothing any more."""


class ManageLink:
    def __init__(self, booking: BookingService, session_factory: sessionmaker[Session], links: Links):
        self.booking, self.session_factory, self.links = booking, session_factory, links

    def open(self, token: str) -> AppointmentFacts:
        """The appointment the token acts on, as it is now. Raises BadLink, NotFound or LinkExpired."""
        appointment_id = self.links.read_manage(token)
        with UnitOfWork(self.session_factory) as uow:
            facts = records.facts(uow.session, appointment_id)
        if facts is None:
            raise errors.NotFound("that appointment no longer exists")
        if facts.end <= self.booking.clock():
            raise LinkExpired("that appointment is over")
        return facts

    def confirm(self, token: str) -> AppointmentFacts:
        facts = self.open(token)
        self.booking.set_status(SetStatus(facts.id, "confirmed", actor=ACTOR))
        return self.open(token)

    def cancel(self, token: str) -> AppointmentFacts:
        facts = self.open(token)
        self.booking.cancel(Cancel(facts.id, reason=REASON, actor=ACTOR))
        return self.open(token)

    def free_times(self, token: str, limit: int = FREE_TIMES) -> list[datetime]:
        """The next free starts with the same provider for the same service, soonest first."""
        facts = self.open(token)
        appt = self.booking.get(facts.id)
        today = self.booking.clock().astimezone(ZoneInfo(facts.provider_zone)).date()
        found = self.booking.find_slots(FindSlots(appt.service_id, today, today + LOOK_AHEAD, appt.provider_id,
                                                  exclude_appointment_id=appt.id))
        return [slot.start for slot in found if slot.start != facts.start][:limit]

    def move(self, token: str, start: datetime, seen_version: int | None = None) -> AppointmentFacts:
        """Move it to `start`, unless it changed since the page that offered `start` was shown."""
        facts = self.open(token)
        self.booking.reschedule(Reschedule(facts.id, start, expected_version=seen_version, actor=ACTOR))
        return self.open(token)
