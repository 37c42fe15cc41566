"""Finding free slots and checking that one asked-for start is still bookable.

Both read the same inputs (schedule, rules, appointments, resources, holds) and hand them to
the pure engine in `availability`, so "offered" and "bookable" can never disagree.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.booking import errors
from core.booking.availability import Interval, Rules, Schedule, ServiceShape, free_slots
from core.booking.commands import FindSlots
from core.booking.coordination import Coordination
from core.booking.schedules import (
    ScheduleCache, business_rules, get_business, provider_appointments, resource_busy, service_shape, utc_range,
)
from core.db.models import Provider, Service, provider_services


@dataclass(frozen=True)
class OfferedSlot:
    provider_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Inputs:
    schedule: Schedule
    shape: ServiceShape
    rules: Rules
    appointments: list[Interval]
    resources: list[Interval]
    holds: list[Interval]
    day_counts: Counter


class SlotFinder:
    def __init__(self, coordination: Coordination, clock: Callable[[], datetime], cache: ScheduleCache | None = None):
        self.coordination = coordination
        self.clock = clock
        self.cache = cache or ScheduleCache()

    def find(self, session: Session, cmd: FindSlots) -> list[OfferedSlot]:
        """Free slots for a service with one provider, or with any provider who offers it."""
        if cmd.end_date < cmd.start_date:
            raise errors.InvalidRequest("the end date is before the start date")
        if (cmd.end_date - cmd.start_date).days > 92:
            raise errors.InvalidRequest("ask for at most 92 days of availability at a time")
        service = session.get(Service, cmd.service_id)
        if service is None or not service.active:
            raise errors.NotFound(f"service {cmd.service_id} not found")
        if cmd.provider_id is not None:
            providers = [self._provider_offering(session, cmd.provider_id, service)]
        else:
            providers = list(session.scalars(
                select(Provider).join(provider_services).where(
                    provider_services.c.service_id == service.id, Provider.active.is_(True)).order_by(Provider.id)))
        offered: list[OfferedSlot] = []
        for provider in providers:
            data = self._inputs(session, provider, service, cmd.start_date, cmd.end_date,
                                cmd.client_id, cmd.exclude_appointment_id)
            busy = data.appointments + data.resources + data.holds
            offered.extend(OfferedSlot(provider.id, s.start, s.end) for s in free_slots(
                data.schedule, data.shape, data.rules, start_date=cmd.start_date, end_date=cmd.end_date,
                now=self.clock(), busy=busy, day_counts=data.day_counts))
        offered.sort(key=lambda s: (s.start, s.provider_id))
        return offered

    def check(self, session: Session, provider: Provider, service: Service, start: datetime,
              client_id: int | None, exclude_appointment_id: int | None = None) -> None:
        """Raise the typed reason why `start` cannot be booked now, or return when it can."""
        now = self.clock()
        business = get_business(session)
        rules = business_rules(business, provider)
        if start < now + rules.min_notice:
            raise errors.TooSoon(_too_soon_message(rules, start, now))
        if start > now + rules.horizon:
            raise errors.TooFarAhead(f"bookings open at most {rules.horizon.days} days ahead")
        day = start.astimezone(ZoneInfo(provider.timezone)).date()
        data = self._inputs(session, provider, service, day, day, client_id, exclude_appointment_id)

        def offered(busy: list[Interval], rules: Rules = data.rules, counts: Counter = data.day_counts) -> bool:
            slots = free_slots(data.schedule, data.shape, rules, start_date=day, end_date=day, now=now,
                               busy=busy, day_counts=counts)
            return any(s.start == start for s in slots)

        if offered(data.appointments + data.resources + data.holds):
            return
        # Not bookable: find the most useful reason, from the most basic upwards.
        if not offered([], replace(data.rules, daily_limit=None), Counter()):
            raise errors.OutsideHours(f"{provider.name} does not take {service.name} bookings at that time")
        if not offered([]):
            raise errors.DailyLimitReached(f"{provider.name} is fully booked that day")
        if not offered(data.appointments):
            raise errors.SlotTaken("that time has just been booked by someone else")
        if not offered(data.appointments + data.resources):
            raise errors.ResourceBusy("the room or equipment this service needs is in use then")
        raise errors.SlotHeld("someone else is confirming that time right now")

    def _provider_offering(self, session: Session, provider_id: int, service: Service) -> Provider:
        provider = session.get(Provider, provider_id)
        if provider is None or not provider.active:
            raise errors.NotFound(f"provider {provider_id} not found")
        if all(s.id != service.id for s in provider.services):
            raise errors.InvalidRequest(f"{provider.name} does not offer {service.name}")
        return provider

    def _inputs(self, session: Session, provider: Provider, service: Service, start_date: date, end_date: date,
                client_id: int | None, exclude_appointment_id: int | None) -> _Inputs:
        zone = ZoneInfo(provider.timezone)
        range_start, range_end = utc_range(start_date, end_date, provider.timezone)
        rows = provider_appointments(session, provider.id, range_start, range_end, exclude_appointment_id)
        resource_ids = [r.id for r in service.resources]
        holds = [Interval(s, e) for s, e in self.coordination.held_by_others(provider.id, client_id, self.clock())
                 if s < range_end and e > range_start]
        return _Inputs(
            schedule=self.cache.get(session, provider),
            shape=service_shape(service),
            rules=business_rules(get_business(session), provider),
            appointments=[Interval(bs, be) for bs, be, _ in rows],
            resources=resource_busy(session, resource_ids, range_start, range_end, exclude_appointment_id),
            holds=holds,
            day_counts=Counter(start.astimezone(zone).date() for _, _, start in rows),
        )


def _too_soon_message(rules: Rules, start: datetime, now: datetime) -> str:
    if start <= now:
        return "that time has already passed"
    minutes = int(rules.min_notice.total_seconds() // 60)
    notice = f"{minutes // 60} hours" if minutes % 60 == 0 and minutes >= 120 else f"{minutes} minutes"
    return f"bookings need at least {notice}' notice"
