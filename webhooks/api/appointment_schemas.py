"""Request and response bodies of `/api/v1/appointments` and of time off (which may cancel some).

camelCase on the wire, as in `webhooks.api.schemas`; built from the appointments the booking core
hands back; nothing here decides anything.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from core.booking.bulk_cancel import MAX_AT_ONCE, Cancellations
from core.booking.recurrence import MAX_OCCURRENCES, MAX_RULE_LENGTH
from core.booking.series import Conflict, SeriesBooked
from core.booking.timeoff import TimeOffBlocked
from core.booking.views import AppointmentView
from webhooks.api.fields import MAX_ID, Id, Instant, text
from webhooks.api.schemas import ApiModel, RequestModel


# -- appointments --------------------------------------------------------------------------
class AppointmentIn(RequestModel):
    service_id: Id
    provider_id: Id
    client_id: Id
    start_time: Instant = Field(examples=["2025-03-10T09:00:00+00:00"])
    notes: text(2000) | None = None


class AppointmentChange(RequestModel):
    """Move (startTime and/or providerId) or mark (status); not both at once."""

    start_time: Instant | None = None
    provider_id: Id | None = None
    status: Literal["confirmed", "completed", "no_show"] | None = None
    version: int | None = Field(default=None, ge=1, le=MAX_ID,
                                description="the version you last read; 409 if it changed since")


class CancelIn(RequestModel):
    cancellation_reason: text(500) | None = None


class AppointmentOut(ApiModel):
    id: int
    confirmation_code: str
    status: str
    start_time: datetime
    end_time: datetime
    service_id: int
    provider_id: int
    client_id: int
    version: int
    cancellation_reason: str | None
    late_cancellation: bool
    notes: str | None
    created_at: datetime
    updated_at: datetime | None
    series_id: int | None = Field(default=None, description="the recurring series it was booked in, if any")

    @classmethod
    def of(cls, appt: AppointmentView) -> AppointmentOut:
        return cls(id=appt.id, confirmation_code=appt.confirmation_code, status=appt.status,
                   start_time=appt.start_at, end_time=appt.end_at, service_id=appt.service_id,
                   provider_id=appt.provider_id, client_id=appt.client_id, version=appt.version,
                   cancellation_reason=appt.cancellation_reason, late_cancellation=bool(appt.late_cancellation),
                   notes=appt.notes, created_at=appt.created_at, updated_at=appt.updated_at,
                   series_id=appt.series_id)


class NotCancelledOut(ApiModel):
    id: int
    code: str
    detail: str

    @classmethod
    def of(cls, refused) -> NotCancelledOut:
        return cls(id=refused.appointment_id, code=refused.code, detail=refused.detail)


class BulkCancelIn(RequestModel):
    """Either `ids`, or `clientId` (their active appointments ending after `from`, default now, and
    starting before `to`)."""

    ids: list[Id] | None = Field(default=None, min_length=1, max_length=MAX_AT_ONCE)
    client_id: Id | None = None
    start: Instant | None = Field(default=None, alias="from")
    end: Instant | None = Field(default=None, alias="to")
    cancellation_reason: text(500) | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> BulkCancelIn:
        if (self.ids is None) == (self.client_id is None):
            raise ValueError("send either ids or clientId")
        if self.ids is not None and (self.start or self.end):
            raise ValueError("from and to bound a client's appointments; leave them out with ids")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("to must be after from")
        return self


class BulkCancelOut(ApiModel):
    cancelled: list[AppointmentOut]
    not_cancelled: list[NotCancelledOut]
    more: bool = Field(description="the client has more appointments than one request cancels; send it again")

    @classmethod
    def of(cls, done: Cancellations) -> BulkCancelOut:
        return cls(cancelled=[AppointmentOut.of(a) for a in done.cancelled],
                   not_cancelled=[NotCancelledOut.of(n) for n in done.not_cancelled], more=done.more)


# -- recurring series ------------------------------------------------------------------------
class SeriesIn(AppointmentIn):
    recurrence: text(MAX_RULE_LENGTH, min_length=1) = Field(
        examples=["FREQ=WEEKLY;COUNT=6"],
        description=f"an RFC 5545 RRULE, repeating startTime's wall-clock time in the provider's zone; at most "
                    f"{MAX_OCCURRENCES} occurrences, all within the business's booking horizon")


class AlternativeOut(ApiModel):
    start_time: datetime
    provider_id: int


class SeriesConflictOut(ApiModel):
    start_time: datetime
    code: str = Field(description="why it was not booked: slot_taken, outside_hours, too_far_ahead, daily_limit, "
                                  "booking_limit, no_such_time (the clocks skip that local time)...")
    detail: str
    alternatives: list[AlternativeOut] = Field(description="the nearest free starts that day (or the days around "
                                                           "it), with this provider or another")

    @classmethod
    def of(cls, conflict: Conflict) -> SeriesConflictOut:
        return cls(start_time=conflict.start, code=conflict.code, detail=conflict.detail,
                   alternatives=[AlternativeOut(start_time=s.start, provider_id=s.provider_id)
                                 for s in conflict.alternatives])


class SeriesOut(ApiModel):
    series_id: int
    booked: list[AppointmentOut]
    conflicts: list[SeriesConflictOut]

    @classmethod
    def of(cls, done: SeriesBooked) -> SeriesOut:
        return cls(series_id=done.series_id, booked=[AppointmentOut.of(a) for a in done.booked],
                   conflicts=[SeriesConflictOut.of(c) for c in done.conflicts])


class SeriesCancelOut(ApiModel):
    series_id: int
    cancelled: list[AppointmentOut]
    not_cancelled: list[NotCancelledOut]

    @classmethod
    def of(cls, series_id: int, done: Cancellations) -> SeriesCancelOut:
        return cls(series_id=series_id, cancelled=[AppointmentOut.of(a) for a in done.cancelled],
                   not_cancelled=[NotCancelledOut.of(n) for n in done.not_cancelled])


# -- time off ------------------------------------------------------------------------------
class TimeOffIn(RequestModel):
    start_time: Instant
    end_time: Instant
    reason: text(200) | None = Field(default=None, description="a note for staff; clients are not shown it")
    cancel_appointments: bool = Field(default=False, description=(
        "cancel the active appointments in the way and tell each client; false: 409 listing them"))
    cancellation_reason: text(500) | None = Field(default=None, description="what those clients are told")


class TimeOffOut(ApiModel):
    id: int
    provider_id: int
    start_time: datetime
    end_time: datetime
    reason: str | None
    cancelled: list[AppointmentOut] = Field(default_factory=list, description="appointments cancelled for it")
    not_cancelled: list[NotCancelledOut] = Field(default_factory=list)

    @classmethod
    def of(cls, blocked: TimeOffBlocked) -> TimeOffOut:
        entry, done = blocked.time_off, blocked.cancellations
        return cls(id=entry.id, provider_id=entry.provider_id, start_time=entry.start_at, end_time=entry.end_at,
                   reason=entry.reason, cancelled=[AppointmentOut.of(a) for a in done.cancelled],
                   not_cancelled=[NotCancelledOut.of(n) for n in done.not_cancelled])
