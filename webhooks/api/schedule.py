"""Setting a provider's hours: weekly hours and breaks, time off, one date's own hours (an admin's or its own)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from core.booking import access
from core.booking.setup_writes import Window as CoreWindow
from core.booking.timeoff import TimeOffBlocked, TimeOffRequest, block_time, unblock_time
from webhooks.api.appointment_schemas import TimeOffIn, TimeOffOut
from webhooks.api.fields import MAX_ID
from webhooks.api.providers import ProviderId
from webhooks.api.schemas import DateOverrideIn, DateOverrideOut, WeeklyHoursIn, WeeklyHoursOut
from webhooks.deps import BookingDep, PrincipalDep, SetupDep

router = APIRouter(prefix="/providers/{provider_id}", tags=["providers"])


@router.post("/availability", response_model=WeeklyHoursOut)
def set_weekly_hours(provider_id: ProviderId, body: WeeklyHoursIn, setup: SetupDep,
                     who: PrincipalDep) -> WeeklyHoursOut:
    """Replace the weekly hours. `breaks` replaces the breaks (`[]` clears them); omitted, they are kept."""
    access.require_own_provider(who, provider_id, "set the hours")
    windows = [CoreWindow(s.day_of_week, s.start_time, s.end_time) for s in body.time_slots]
    breaks = None if body.breaks is None else [CoreWindow(b.day_of_week, b.start_time, b.end_time)
                                               for b in body.breaks]
    return WeeklyHoursOut.of(setup.set_weekly_hours(provider_id=provider_id, windows=windows, breaks=breaks,
                                                 actor=who.actor))


@router.post("/time-off", status_code=status.HTTP_201_CREATED, response_model=TimeOffOut, responses={
    409: {"description": "active appointments are in the way (`appointments_in_the_way`), listed in `appointments`"}})
def add_time_off(provider_id: ProviderId, body: TimeOffIn, booking: BookingDep, who: PrincipalDep) -> TimeOffOut:
    """Block time off. Over active appointments it is refused with 409, listing them, unless
    `cancelAppointments` is true: then each is cancelled and its client told, with `cancellationReason`."""
    access.require_own_provider(who, provider_id, "block time off")
    blocked = block_time(booking, TimeOffRequest(
        provider_id, body.start_time, body.end_time, reason=body.reason, actor=who.actor,
        cancel_appointments=body.cancel_appointments, cancellation_reason=body.cancellation_reason))
    return TimeOffOut.of(blocked)


@router.delete("/time-off/{time_off_id}", response_model=TimeOffOut)
def remove_time_off(provider_id: ProviderId, time_off_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                    booking: BookingDep, who: PrincipalDep) -> TimeOffOut:
    """Remove time off. The time is bookable again, and offered first to the waiting list."""
    access.require_own_provider(who, provider_id, "remove time off")
    return TimeOffOut.of(TimeOffBlocked(unblock_time(booking, provider_id, time_off_id, actor=who.actor)))


@router.post("/date-overrides", response_model=DateOverrideOut)
def set_date_override(provider_id: ProviderId, body: DateOverrideIn, setup: SetupDep,
                      who: PrincipalDep) -> DateOverrideOut:
    """Give one provider-local date its own hours; no timeSlots means closed that day."""
    access.require_own_provider(who, provider_id, "set a date's hours")
    setup.set_date_override(provider_id=provider_id, day=body.day,
                            windows=[(w.start_time, w.end_time) for w in body.time_slots], actor=who.actor)
    return DateOverrideOut(provider_id=provider_id, day=body.day, time_slots=body.time_slots,
                           closed=not body.time_slots)
