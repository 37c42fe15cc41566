"""Reading what the availability engine needs from the database.

A provider's schedule (hours, breaks, overrides, time off) changes rarely and is read on
every availability query, so it is cached per process and keyed by the provider's
`schedule_version`, which every change bumps.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.booking.availability import Interval, Rules, Schedule, ServiceShape, WallWindow
from core.db.models import (
    Appointment, AppointmentResource, Break, Business, DateOverride, Provider, Service, TimeOff, WeeklyHours,
)


def service_shape(service: Service) -> ServiceShape:
    return ServiceShape(
        duration=timedelta(minutes=service.duration_minutes),
        buffer_before=timedelta(minutes=service.buffer_before_minutes or 0),
        buffer_after=timedelta(minutes=service.buffer_after_minutes or 0),
    )


def business_rules(business: Business, provider: Provider) -> Rules:
    return Rules(
        min_notice=timedelta(minutes=business.min_notice_minutes),
        horizon=timedelta(days=business.horizon_days),
        interval=timedelta(minutes=business.slot_interval_minutes),
        daily_limit=provider.daily_limit,
    )


def get_business(session: Session) -> Business:
    """The business row, or the defaults when none has been loaded yet."""
    business = session.get(Business, 1)
    if business is None:
        business = Business(id=1, name="Slotline", timezone="UTC", min_notice_minutes=60, horizon_days=60,
                            slot_interval_minutes=15, cancellation_window_hours=24, hold_minutes=5,
                            confirm_sms_cancel=True)
    return business


def bump_schedule(session: Session, provider_id: int) -> None:
    """Call after changing a provider's hours, breaks, overrides or time off."""
    session.execute(update(Provider).where(Provider.id == provider_id)
                    .values(schedule_version=Provider.schedule_version + 1))


class ScheduleCache:
    """Per-process cache of provider schedules, invalidated by `schedule_version`."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[int, Schedule]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, provider: Provider) -> Schedule:
        hit = self._cache.get(provider.id)
        if hit is not None and hit[0] == provider.schedule_version:
            return hit[1]
        schedule = load_schedule(session, provider)
        with self._lock:
            self._cache[provider.id] = (provider.schedule_version, schedule)
        return schedule


def load_schedule(session: Session, provider: Provider) -> Schedule:
    weekly: dict[int, list[WallWindow]] = defaultdict(list)
    for row in session.scalars(select(WeeklyHours).where(WeeklyHours.provider_id == provider.id)
                               .order_by(WeeklyHours.start_time)):
        weekly[row.day_of_week].append(WallWindow(row.start_time, row.end_time))
    breaks: dict[int | None, list[WallWindow]] = defaultdict(list)
    for row in session.scalars(select(Break).where(Break.provider_id == provider.id)):
        breaks[row.day_of_week].append(WallWindow(row.start_time, row.end_time))
    overrides: dict[date, list[WallWindow]] = defaultdict(list)
    for row in session.scalars(select(DateOverride).where(DateOverride.provider_id == provider.id)
                               .order_by(DateOverride.start_time)):
        windows = overrides[row.date]
        if row.start_time is not None and row.end_time is not None:
            windows.append(WallWindow(row.start_time, row.end_time))
    time_off = tuple(Interval(r.start_at, r.end_at) for r in session.scalars(
        select(TimeOff).where(TimeOff.provider_id == provider.id).order_by(TimeOff.start_at)))
    return Schedule(
        timezone=provider.timezone,
        weekly={k: tuple(v) for k, v in weekly.items()},
        breaks={k: tuple(v) for k, v in breaks.items()},
        overrides={k: tuple(v) for k, v in overrides.items()},
        time_off=time_off,
    )


def utc_range(start_date: date, end_date: date, tz: str) -> tuple[datetime, datetime]:
    """UTC instants bounding the provider-local dates [start_date, end_date], with a day of margin."""
    zone = ZoneInfo(tz)
    start = datetime.combine(start_date - timedelta(days=1), datetime.min.time(), zone)
    end = datetime.combine(end_date + timedelta(days=2), datetime.min.time(), zone)
    return start, end


def provider_appointments(session: Session, provider_id: int, start: datetime, end: datetime,
                          exclude_id: int | None = None) -> list[tuple[datetime, datetime, datetime]]:
    """(block_start, block_end, start_at) of the provider's time-holding appointments in the range."""
    query = (select(Appointment.block_start, Appointment.block_end, Appointment.start_at)
             .where(Appointment.provider_id == provider_id, Appointment.status != "cancelled",
                    Appointment.block_start < end, Appointment.block_end > start))
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return [tuple(row) for row in session.execute(query)]


def resource_busy(session: Session, resource_ids: list[int], start: datetime, end: datetime,
                  exclude_appointment_id: int | None = None) -> list[Interval]:
    if not resource_ids:
        return []
    query = (select(AppointmentResource.block_start, AppointmentResource.block_end)
             .where(AppointmentResource.resource_id.in_(resource_ids), AppointmentResource.active.is_(True),
                    AppointmentResource.block_start < end, AppointmentResource.block_end > start))
    if exclude_appointment_id is not None:
        query = query.where(AppointmentResource.appointment_id != exclude_appointment_id)
    return [Interval(s, e) for s, e in session.execute(query)]
