"""The weekly summary: on Monday, at the provider's agenda time in their zone, the week just ended in Slack.

The agenda's tick (`Agendas.tick`, every few minutes) also runs `WeeklySummaries.tick`. A provider
is due from their Monday `agenda_time` to the end of that Monday (their zone), so a worker that was
down at eight still sends it when it comes back that day, and never on Tuesday. The row's key
(provider, ISO week of the week summarised) makes it once a week however often the tick runs.

The figures are the reports' (`core.booking.reports`), for the provider alone, over Monday to
Sunday of their own zone, read when the message is sent; with them the coming week's bookings.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from core.booking.reports import Figures, Reports
from core.db.models import Provider
from core.db.session import UnitOfWork
from core.notifications.agenda import slack_providers
from core.notifications.ports import Jobs, deliver_now
from core.notifications.records import ensure

KIND = "weekly"
MONDAY = 0


@dataclass(frozen=True)
class WeeklySummary:
    """One provider's week [first, last] (Monday to Sunday in `timezone`), and how the next one looks."""

    provider_id: int
    provider: str
    timezone: str
    first: date
    last: date
    currency: str | None  # the business's, as prices are shown elsewhere
    figures: Figures
    coming: int  # bookings in the week that starts today


class WeeklySummaries:
    def __init__(self, session_factory: sessionmaker[Session], jobs: Jobs, *, clock: Callable[[], datetime]):
        self.session_factory, self.jobs, self.clock = session_factory, jobs, clock

    def tick(self) -> list[int]:
        """Queue every weekly summary now due; returns the ids of the notifications queued."""
        now = self.clock()
        queued = []
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            for provider in slack_providers(s):
                first = week_due(now, provider.timezone, provider.agenda_time)
                if first is None:
                    continue
                year, week, _ = first.isocalendar()
                row, made = ensure(s, key=f"weekly:{provider.id}:{year}-W{week:02d}", kind=KIND, status="queued",
                                   channel="", user_id=provider.user_id, due_at=now,
                                   payload={"provider_id": provider.id, "first": first.isoformat()})
                if made:
                    queued.append(row.id)
            uow.commit()
        deliver_now(self.jobs, queued)
        return queued

    def summary(self, provider_id: int, first: date) -> WeeklySummary | None:
        """The week from Monday `first` for one provider, as of now; None when there is no such provider."""
        with UnitOfWork(self.session_factory) as uow:
            provider = uow.session.get(Provider, provider_id)
            zone = provider.timezone if provider is not None else None
        if zone is None:
            return None
        reports = Reports(self.session_factory, self.clock)
        last = first + timedelta(days=6)
        week = reports.summary(first, last, zone=zone, provider_id=provider_id)
        [named] = week.providers
        coming = reports.summary(last + timedelta(days=1), last + timedelta(days=7), zone=zone,
                                 provider_id=provider_id).providers[0].figures.bookings
        return WeeklySummary(provider_id, named.name, zone, first, last, week.currency, named.figures, coming)


def week_due(now: datetime, zone: str, agenda_time: time) -> date | None:
    """The Monday that starts the week to summarise, when the provider's summary is due at `now`: it is
    Monday in their zone, at or after their agenda time. The wall time is read in the zone on that day,
    so a DST change the day before moves it with the clocks."""
    local = now.astimezone(ZoneInfo(zone))
    if local.weekday() != MONDAY:
        return None
    due = datetime.combine(local.date(), agenda_time, tzinfo=local.tzinfo).astimezone(UTC)
    if now < due:
        return None
    return local.date() - timedelta(days=7)
