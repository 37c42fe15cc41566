"""What the conversation needs from outside: the booking core, quotas and one-time codes.

`Bookings` is the only way a handler reaches the booking core; the Desk provides it
(`core.conversation.bookings.CoreBookings`). Quotas and codes are provided by the composition
root and optional: without them nothing is capped and no contact can be verified.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.booking.series import Occurrence, SeriesBooked
    from core.booking.slots import FreeSlot as OfferedSlot
    from core.booking.offers import OfferView, Taken
    from core.db.models import Appointment, WaitlistEntry


class Bookings(Protocol):
    """The booking core as the conversation uses it.

    Refusals are the booking core's typed errors (`core.booking.errors`): `SlotTaken` when
    someone else got there first, `TooManyHolds`, `BookingLimitReached`, `NotFound`, and
    `BookingError` for the rest; the handlers turn them into replies."""

    def find_slots(self, *, service_id: int, provider_id: int | None, first_day: date, last_day: date,
                   holder: str, moving: int | None = None, not_before: datetime | None = None,
                   before: datetime | None = None, limit: int | None = None) -> list[OfferedSlot]:
        """Free times for the service between two days (inclusive), with one provider or anyone who offers it.

        Times `holder` holds stay visible to it; `moving` is the appointment being moved, whose own
        time does not count as taken. Only starts in [not_before, before) when given, and only each
        provider's first `limit` (by start) when given: ask for what will be shown."""

    def hold(self, *, service_id: int, provider_id: int, start: datetime, holder: str, origin: str | None,
             moving: int | None = None) -> None:
        """Keep a time for `holder` while they confirm (a short-lived hold, not a booking).

        `origin` (a web visitor's address) caps how many times one connection may hold at once;
        `moving` is the appointment being moved there, whose own time is not in the way."""

    def release_hold(self, holder: str) -> None:
        """Let others have whatever time `holder` was keeping."""

    def may_book(self, client_id: int) -> None:
        """Raise `BookingLimitReached` (or its `NoShowLimitReached`) if the business's rules keep this
        client from booking now, before any time is picked."""

    def book(self, *, service_id: int, provider_id: int, client_id: int, start: datetime, key: str,
             channel: str, holder: str) -> Appointment:
        """Book the time `holder` held for the client; the same `key` twice books once."""

    def move(self, appointment_id: int, *, start: datetime, provider_id: int, holder: str | None = None) -> Appointment:
        """Move an appointment to another time (and maybe another provider), with the hold `holder` keeps there."""

    def cancel(self, appointment_id: int, *, reason: str) -> Appointment:
        """Cancel an appointment at the client's request."""

    def confirm(self, appointment_id: int) -> Appointment:
        """Mark an appointment confirmed by its client (the answer to a reminder)."""

    def appointment(self, appointment_id: int) -> Appointment | None:
        """One appointment, whatever its status; None when there is no such appointment."""

    def upcoming(self, client_id: int | None) -> list[Appointment]:
        """The client's appointments that have not started yet and still stand ([] for a newcomer), with
        those of the people they booked for ("for me and my son"), in time order."""

    def booked_for(self, client_id: int | None) -> dict[int, str]:
        """The people this client has booked for: client id -> name ({} for a newcomer)."""

    def join_waitlist(self, *, client_id: int, service_id: int, provider_id: int | None, start: datetime,
                      end: datetime, channel: str) -> None:
        """Put the client on the waiting list for that window (joining twice keeps one entry)."""

    def waiting(self, client_id: int | None) -> list[WaitlistEntry]:
        """The client's waiting-list entries still open ([] for a newcomer)."""

    def plan_series(self, *, service_id: int, provider_id: int, client_id: int | None, start: datetime,
                    recurrence: str, holder: str) -> list[Occurrence]:
        """Each start of a recurring series (an RRULE repeating `start`) and whether it is free now; books nothing."""

    def book_series(self, *, service_id: int, provider_id: int, client_id: int, start: datetime, recurrence: str,
                    key: str, channel: str, holder: str) -> SeriesBooked:
        """Book each occurrence that can be, report the others with alternatives; the same `key` twice books once."""

    def take_offer(self, offer_id: int, *, client_id: int | None, channel: str) -> Taken:
        """Book a waiting-list offer for the client it was made to (twice books once); one that lapsed is
        booked all the same (`Taken.late`) while its time is free and held for nobody else. Raises
        `OfferUnavailable` (carrying the offer) when it was passed on, or its time has gone or is held."""

    def decline_offer(self, offer_id: int, *, client_id: int | None) -> OfferView:
        """Let a waiting-list offer go to the next in line; the client stays on the list."""

    def leave_waitlist(self, *, entry_id: int, client_id: int | None) -> None:
        """Take the client off the waiting list for that entry; `NotFound` unless it is theirs and still open."""


class Refusal(Protocol):
    retry_after: int  # seconds until one more is allowed


class Quotas(Protocol):
    """Counted allowances kept outside the process (a rate limiter on Redis)."""

    def hit(self, rule: str, key: str) -> Refusal | None:
        """Count one use of `rule` by `key`; a Refusal when that is one too many, else None."""


class CodeSender(Protocol):
    """Sends a one-time code to a phone number (by SMS) or an email address."""

    kinds: frozenset[str]  # which of "phone" and "email" it can reach

    def send_code(self, kind: str, address: str, text: str) -> bool:
        """Send `text` to `address`; False when it could not be sent (opted out, refused, unreachable)."""
