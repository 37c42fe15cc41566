"""Domain events, published after the transaction that caused them commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AppointmentBooked:
    appointment_id: int
    version: int


@dataclass(frozen=True)
class AppointmentMoved:
    appointment_id: int
    version: int
    previous_start: datetime
    # Where the time given up was: a move to another provider frees it at the one it left. Events written
    # before these were carried have neither (the worker then reads the appointment's own provider and length).
    previous_provider_id: int | None = None
    previous_end: datetime | None = None


@dataclass(frozen=True)
class AppointmentCancelled:
    appointment_id: int
    version: int
    late: bool
    why: str | None = None  # "declined" or "expired": a request for approval that was turned down or lapsed


@dataclass(frozen=True)
class AppointmentApproved:
    """A request awaiting approval was approved: it is confirmed now."""

    appointment_id: int
    version: int


@dataclass(frozen=True)
class AppointmentStatusChanged:
    appointment_id: int
    version: int
    status: str


@dataclass(frozen=True)
class TimeFreed:
    """Time a provider has free again that no appointment gave up (time off removed, a waiting-list
    offer declined or lapsed): the worker offers it to the waiting list."""

    provider_id: int
    start: datetime
    end: datetime
