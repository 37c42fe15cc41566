"""Typed domain errors. The edges turn them into friendly replies or HTTP codes."""
from __future__ import annotations


class BookingError(Exception):
    """Base of every refusal the booking core can give; `str(err)` is fit to show a person."""

    code = "booking_error"


class NotFound(BookingError):
    code = "not_found"


class Forbidden(BookingError):
    """The one asking may not do this (`core.booking.access`): another's appointment, an admin's task."""

    code = "forbidden"


class InvalidRequest(BookingError):
    """The request itself is wrong (a service the provider does not offer, a naive time...)."""

    code = "invalid"


class IdempotencyKeyReused(InvalidRequest):
    """The Idempotency-Key was already used for a booking that is not this one."""

    code = "idempotency_key_reused"


class SlotUnavailable(BookingError):
    """The time is not bookable at all: outside hours, on time off, or not on the slot grid."""

    code = "slot_unavailable"


class OutsideHours(SlotUnavailable):
    code = "outside_hours"


class TooSoon(SlotUnavailable):
    """Earlier than the business's minimum notice, or in the past."""

    code = "too_soon"


class TooFarAhead(SlotUnavailable):
    code = "too_far_ahead"


class DailyLimitReached(SlotUnavailable):
    code = "daily_limit"


class SlotTaken(BookingError):
    """Someone else has the time (or an overlapping one): the 409 case."""

    code = "slot_taken"


class SlotHeld(SlotTaken):
    """Another client is confirming this slot right now."""

    code = "slot_held"


class BookingLimitReached(BookingError):
    """The client already has as many upcoming bookings as the business allows one client."""

    code = "booking_limit"

    def __init__(self, message: str, *, limit: int | None = None, upcoming: int | None = None):
        super().__init__(message)
        self.limit, self.upcoming = limit, upcoming


class NoShowLimitReached(BookingLimitReached):
    """The client has missed as many appointments as the business's rule allows: they book through the business.

    `upcoming` holds their number of no-shows. A kind of `BookingLimitReached`, so an edge that
    explains one limit to a client explains this one too."""

    code = "no_show_limit"


class TooManyHolds(BookingError):
    """One origin (a web visitor's address) is already holding as many slots as it may."""

    code = "too_many_holds"


class ResourceBusy(SlotTaken):
    code = "resource_busy"


class NotActive(BookingError):
    """The appointment is cancelled, completed or a no-show and cannot be changed that way."""

    code = "not_active"


class VersionConflict(BookingError):
    """The appointment changed since the caller read it."""

    code = "version_conflict"


class AlreadyExists(BookingError):
    """A name, email or phone that must be unique is taken."""

    code = "already_exists"


class AppointmentsInTheWay(BookingError):
    """Time off would cover active appointments; `appointments` lists them, earliest first."""

    code = "appointments_in_the_way"

    def __init__(self, message: str, appointments: tuple = ()):
        super().__init__(message)
        self.appointments = tuple(appointments)
