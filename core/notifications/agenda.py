"""The daily agenda: each provider's day, posted where they work (Slack) at the time of day they chose, in their zone.

A periodic job (`Agendas.tick`, every few minutes) queues the agendas that are due. The
row's key (provider, local day) makes it once a day however often the tick runs, or
however many workers run it; an agenda more than `CATCH_UP` late is not sent at all.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import Provider
from core.db.session import UnitOfWork
from core.notifications.ports import Jobs, deliver_now
from core.notifications.records import ensure

TICK = timedelta(minutes=5)
CATCH_UP = timedelta(hours=3)


def slack_providers(s: Session) -> list[Provider]:
    """Active providers with a Slack id and an agenda time: who gets the daily agenda and the weekly summary."""
    return list(s.scalars(select(Provider).where(Provider.active.is_(True), Provider.slack_user_id.is_not(None),
                                                 Provider.agenda_time.is_not(None))))


class Agendas:
    def __init__(self, session_factory: sessionmaker[Session], jobs: Jobs, *, clock: Callable[[], datetime]):
        self.session_factory, self.jobs, self.clock = session_factory, jobs, clock

    def tick(self) -> list[int]:
        """Queue every agenda now due; returns the ids of the notifications queued."""
        now = self.clock()
        queued = []
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            for provider in slack_providers(s):
                local = now.astimezone(ZoneInfo(provider.timezone))
                due = datetime.combine(local.date(), provider.agenda_time, tzinfo=local.tzinfo).astimezone(UTC)
                if not due <= now < due + CATCH_UP:
                    continue
                row, made = ensure(s, key=f"agenda:{provider.id}:{local.date().isoformat()}", kind="agenda",
                                   status="queued", channel="", user_id=provider.user_id, due_at=due,
                                   payload={"provider_id": provider.id, "day": local.date().isoformat()})
                if made:
                    queued.append(row.id)
            uow.commit()
        deliver_now(self.jobs, queued)
        return queued


def next_tick(now: datetime) -> datetime:
    """The next whole TICK after `now`: every worker that schedules the tick names the same one."""
    step = TICK.total_seconds()
    return datetime.fromtimestamp((now.timestamp() // step + 1) * step, UTC)
