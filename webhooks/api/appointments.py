"""`/api/v1/appointments`: book, list, show, move or mark, and cancel (one, or many at once); recurring series.

Every decision (is the slot free, may it move, is the cancellation late) is the booking
core's, and who may touch which appointment is `core.booking.access`'s; this module only turns
HTTP into their calls and the answers back into JSON. Each change is recorded as the principal's.
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Response, status
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool

from core.booking import access, errors
from core.booking.approval import Approvals
from core.booking.bulk_cancel import cancel_each, cancel_for_client
from core.booking.commands import Book, Cancel, Reschedule, SetStatus
from core.booking.series import BookSeries, SeriesService
from webhooks.api.fields import MAX_ID, Instant
from webhooks.api.appointment_schemas import (
    AppointmentChange, AppointmentIn, AppointmentOut, BulkCancelIn, BulkCancelOut, CancelIn, SeriesCancelOut, SeriesIn,
    SeriesOut,
)
from webhooks.deps import BookingDep, OwnersDep, PrincipalDep

router = APIRouter(prefix="/appointments", tags=["appointments"])
CHANNEL = "api"
AppointmentId = Annotated[int, Path(ge=1, le=MAX_ID)]
Status = Literal["pending", "confirmed", "cancelled", "completed", "no_show"]


def _split_commas(value: object) -> object:
    """`?status=confirmed,completed` reads the same as `?status=confirmed&status=completed`."""
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
    description="any unique visible-ASCII string; a retry with the same key returns the first booking")]
StatusFilter = Annotated[list[Status] | None, BeforeValidator(_split_commas),
                         Query(description="repeat or comma-separate: confirmed,completed")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AppointmentOut,
             responses={409: {"description": "the slot is taken"}})
async def book(body: AppointmentIn, booking: BookingDep, who: PrincipalDep, response: Response,
               idempotency_key: IdempotencyKey = None) -> AppointmentOut:
    """Book a slot. A retry with the same `Idempotency-Key` returns the first booking, marked `Idempotent-Replayed`;
    the key reused for a different booking (another time, service, provider, client or notes) is 422."""
    # `async def`, with the booking core (which waits on Redis and the database) in one threadpool trip:
    # a plain `def` route costs more trips (FastAPI also checks the answer there), on the busiest route.
    access.require_may_book(who, provider_id=body.provider_id, client_id=body.client_id)
    appt, replayed = await run_in_threadpool(booking.book, Book(
        service_id=body.service_id, provider_id=body.provider_id, client_id=body.client_id, start=body.start_time,
        idempotency_key=idempotency_key, channel=CHANNEL, notes=body.notes, actor=who.actor))
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return AppointmentOut.of(appt)


# Declared before the `/{appointment_id}` routes, so that `cancel` is never read as an id.
@router.post("/cancel", response_model=BulkCancelOut)
def cancel_many(body: BulkCancelIn, booking: BookingDep, who: PrincipalDep) -> BulkCancelOut:
    """Cancel many: `ids`, or a client's (`clientId`) active appointments, by default those not over yet.

    Each client is told over their own channel. One that cannot be cancelled is listed under
    `notCancelled` with the reason; the rest still are. A client's are cancelled up to 500 a
    request (`more` says to send it again)."""
    reason = body.cancellation_reason
    if body.ids is not None:  # one this token may not see is `not_found`, as an unknown id is
        return BulkCancelOut.of(cancel_each(booking, body.ids, reason=reason, actor=who.actor, who=who))
    access.require_may_cancel_for_client(who, body.client_id)
    return BulkCancelOut.of(cancel_for_client(booking, body.client_id, start=body.start, end=body.end,
                                              reason=reason, actor=who.actor))


@router.post("/series", status_code=status.HTTP_201_CREATED, response_model=SeriesOut,
             responses={422: {"description": "a malformed RRULE, or a series too long or past the booking horizon"}})
def book_series(body: SeriesIn, booking: BookingDep, who: PrincipalDep, response: Response,
                idempotency_key: IdempotencyKey = None) -> SeriesOut:
    """Book a recurring series: `recurrence` is an RFC 5545 RRULE (`FREQ=WEEKLY;COUNT=6`) repeating `startTime`'s
    wall-clock time in the provider's zone, across DST changes. Each occurrence is booked as a single booking
    would be; those that cannot be are listed under `conflicts`, with the nearest free starts, and the answer
    is 201 all the same. A retry with the same `Idempotency-Key` returns the first answer."""
    access.require_may_book(who, provider_id=body.provider_id, client_id=body.client_id)
    done = SeriesService(booking).book(BookSeries(
        service_id=body.service_id, provider_id=body.provider_id, client_id=body.client_id, start=body.start_time,
        recurrence=body.recurrence, idempotency_key=idempotency_key, channel=CHANNEL, notes=body.notes,
        actor=who.actor))
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return SeriesOut.of(done)


@router.delete("/series/{series_id}", response_model=SeriesCancelOut)
def cancel_series(series_id: AppointmentId, booking: BookingDep, who: PrincipalDep, owners: OwnersDep,
                  start: Annotated[Instant | None, Query(
        alias="from", description="cancel the occurrences starting from then (default: all still to come)")] = None,
                  body: Annotated[CancelIn | None, Body()] = None) -> SeriesCancelOut:
    """Cancel the rest of a series; earlier occurrences stay. Each client is told as for a single cancellation."""
    access.require_visible(who, owners.series(series_id), kind="series")
    reason = body.cancellation_reason if body else None
    done = SeriesService(booking).cancel(series_id, start=start, reason=reason, actor=who.actor)
    return SeriesCancelOut.of(series_id, done)


@router.get("", response_model=list[AppointmentOut])
def list_appointments(
    booking: BookingDep,
    who: PrincipalDep,
    provider_id: Annotated[int | None, Query(alias="providerId", ge=1, le=MAX_ID)] = None,
    client_id: Annotated[int | None, Query(alias="clientId", ge=1, le=MAX_ID)] = None,
    start: Annotated[Instant | None, Query(alias="from", description="appointments ending after this")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="appointments starting before this")] = None,
    status: StatusFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> list[AppointmentOut]:
    """Appointments by start time, filtered by provider, client, time range and status. A provider's token
    lists its own provider's, a client's token the client's own."""
    provider_id, client_id = access.appointment_filter(who, provider_id=provider_id, client_id=client_id)
    found = booking.list(provider_id=provider_id, client_id=client_id, start=start, end=end,
                         statuses=status, limit=limit)
    return [AppointmentOut.of(a) for a in found]


@router.get("/{appointment_id}", response_model=AppointmentOut)
def get_appointment(appointment_id: AppointmentId, booking: BookingDep, who: PrincipalDep) -> AppointmentOut:
    return AppointmentOut.of(_visible(booking, who, appointment_id))


def _visible(booking, who: access.Principal, appointment_id: int):
    """The appointment, or 404 (as for a missing one) when it is not the principal's to see."""
    found = booking.get(appointment_id)
    access.require_visible(who, found)
    return found


@router.put("/{appointment_id}", response_model=AppointmentOut,
            responses={409: {"description": "the new time is taken, or the appointment cannot change"}})
def change(appointment_id: AppointmentId, body: AppointmentChange, booking: BookingDep,
           who: PrincipalDep) -> AppointmentOut:
    """Move (new `startTime` and/or `providerId`) or mark (`status`: confirmed, completed, no_show)."""
    current = _visible(booking, who, appointment_id)
    moving = body.start_time is not None or body.provider_id is not None
    if moving and body.status is not None:
        raise errors.InvalidRequest("send either a move (startTime, providerId) or a status, not both")
    if body.status is not None:
        if body.version is not None:
            raise errors.InvalidRequest("version is checked on a move only; leave it out when setting a status")
        access.require_may_mark(who, body.status)
        return AppointmentOut.of(booking.set_status(SetStatus(appointment_id, body.status, actor=who.actor)))
    if not moving:
        raise errors.InvalidRequest("nothing to change: send startTime, providerId or status")
    access.require_may_move_to(who, body.provider_id)
    start = body.start_time or current.start_at  # another provider, same time
    return AppointmentOut.of(booking.reschedule(Reschedule(
        appointment_id, start, provider_id=body.provider_id, expected_version=body.version, actor=who.actor)))


@router.delete("/{appointment_id}", response_model=AppointmentOut)
def cancel(appointment_id: AppointmentId, booking: BookingDep, who: PrincipalDep,
           body: Annotated[CancelIn | None, Body()] = None) -> AppointmentOut:
    """Cancel. Inside the business's cancellation window it still succeeds, marked `lateCancellation`."""
    _visible(booking, who, appointment_id)
    reason = body.cancellation_reason if body else None
    return AppointmentOut.of(booking.cancel(Cancel(appointment_id, reason=reason, actor=who.actor)))


@router.post("/{appointment_id}/approve", response_model=AppointmentOut,
             responses={409: {"description": "not a request awaiting approval (or it has lapsed)"}})
def approve(appointment_id: AppointmentId, booking: BookingDep, who: PrincipalDep) -> AppointmentOut:
    """Approve a request for a service that needs approval: it is confirmed, and the client is told."""
    _visible(booking, who, appointment_id)
    access.require_may_decide(who)
    return AppointmentOut.of(Approvals(booking).approve(appointment_id, actor=who.actor))


@router.post("/{appointment_id}/decline", response_model=AppointmentOut,
             responses={409: {"description": "not a request awaiting approval"}})
def decline(appointment_id: AppointmentId, booking: BookingDep, who: PrincipalDep,
            body: Annotated[CancelIn | None, Body()] = None) -> AppointmentOut:
    """Decline a request: it is cancelled, its time is free again, and the client is told kindly."""
    _visible(booking, who, appointment_id)
    access.require_may_decide(who)
    reason = body.cancellation_reason if body else None
    return AppointmentOut.of(Approvals(booking).decline(appointment_id, actor=who.actor, reason=reason))
