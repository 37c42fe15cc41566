"""A Slotline with every channel pointed at its double, a real RQ worker, and a clock the test moves.

`Desk` holds it all: `book`/`move`/`cancel` through the booking core (events go to RQ as in
production), `work()` runs a real `SimpleWorker` in burst mode until the queue is empty, and
`at(moment)` moves the clock there and lets RQ's scheduled jobs that are due by then run, as
RQ's scheduler does when that moment comes. Import the fixtures into a test module.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

import worker
from config.settings import Settings
from core.booking import setup_writes
from core.booking.commands import Book, Cancel, Reschedule
from core.db.models import Notification, Provider
from core.db.session import UnitOfWork
from slotline.bootstrap import Container, build
from tests.doubles.slack_api import BOT_TOKEN, SIGNING_SECRET, SlackApiDouble
from tests.doubles.telegram_api import TelegramAPI
from tests.doubles.twilio_api import TwilioApiDouble
from tests.factories import FixedClock, Salon, make_salon

TWILIO_FROM = "+447700900123"
PUBLIC_URL = "https://slotline.test"


@dataclass
class Desk:
    container: Container
    clock: FixedClock
    salon: Salon
    telegram: TelegramAPI
    slack: SlackApiDouble
    twilio: TwilioApiDouble

    @property
    def jobs(self) -> worker.RqJobs:
        return self.container.notifications.jobs

    def client(self, name: str, channel: str, external_id: str, *, zone: str = "Europe/London") -> int:
        with UnitOfWork(self.container.session_factory, write=True) as uow:
            phone = external_id if channel == "sms" else None
            user = setup_writes.create_user(uow.session, name=name, phone=phone, timezone=zone)
            user.preferred_channel = channel
            setup_writes.link_identity(uow.session, user_id=user.id, channel=channel, external_id=external_id)
            uow.commit()
            return user.id

    def book(self, client_id: int, start: datetime, provider: int | None = None):
        appt, _ = self.container.booking.book(Book(self.salon.haircut, provider or self.salon.sam, client_id, start))
        return appt

    def move(self, appointment_id: int, start: datetime, actor: str = "api"):
        return self.container.booking.reschedule(Reschedule(appointment_id, start, actor=actor))

    def cancel(self, appointment_id: int, actor: str = "api"):
        return self.container.booking.cancel(Cancel(appointment_id, reason="test", actor=actor))

    def work(self) -> None:
        """Run the queued jobs in a real RQ worker (in this process), until the queue is empty."""
        redis = self.container.redis
        SimpleWorker([Queue(worker.QUEUE, connection=redis)], connection=redis).work(burst=True)

    def at(self, moment: datetime) -> list[str]:
        """Move the clock to `moment`; run the jobs RQ's scheduler would have queued by then."""
        self.clock.now = moment
        due = self.jobs.release_due(moment)
        self.work()
        return due

    def scheduled(self, prefix: str = "slotline-n") -> dict[str, datetime]:
        return {job_id: when for job_id, when in self.jobs.scheduled().items() if job_id.startswith(prefix)}

    def notifications(self, **where) -> list[Notification]:
        with UnitOfWork(self.container.session_factory) as uow:
            query = select(Notification).order_by(Notification.id)
            for column, value in where.items():
                query = query.where(getattr(Notification, column) == value)
            return list(uow.session.scalars(query))

    def reminder_times(self, appointment_id: int) -> list[datetime]:
        """When RQ will run the appointment's pending reminders (UTC), earliest first."""
        rows = self.notifications(appointment_id=appointment_id, kind="reminder", status="scheduled")
        scheduled = self.jobs.scheduled()
        return sorted(scheduled[worker_job(row)] for row in rows if worker_job(row) in scheduled)

    def link_provider_slack(self, provider_id: int, slack_user: str, agenda_time=None) -> None:
        with UnitOfWork(self.container.session_factory, write=True) as uow:
            provider = uow.session.get(Provider, provider_id)
            provider.slack_user_id = slack_user
            if agenda_time is not None:
                provider.agenda_time = agenda_time
            uow.commit()


def worker_job(row: Notification) -> str:
    from core.notifications.ports import notification_job_id

    return notification_job_id(row.id, (row.payload or {}).get("round", 0))


@pytest.fixture(name="doubles")
def doubles_fixture() -> Iterator[tuple[TelegramAPI, SlackApiDouble, TwilioApiDouble]]:
    with TelegramAPI() as telegram, TwilioApiDouble() as twilio:
        slack = SlackApiDouble().start()
        try:
            yield telegram, slack, twilio
        finally:
            slack.stop()


def settings_for(tmp_path, doubles, **extra) -> Settings:
    telegram, slack, twilio = doubles
    return Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path), SLOTLINE_PUBLIC_URL=PUBLIC_URL,
                    TELEGRAM_BOT_TOKEN=telegram.token, TELEGRAM_API_BASE_URL=telegram.base_url,
                    SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_BASE_URL=slack.url,
                    TWILIO_ACCOUNT_SID=twilio.account_sid, TWILIO_AUTH_TOKEN=twilio.auth_token,
                    TWILIO_FROM_NUMBER=TWILIO_FROM, TWILIO_API_BASE_URL=twilio.base_url, **extra)


def make_desk(engine, redis_client, tmp_path, doubles, now: datetime, *, hours: dict | None = None,
              **settings) -> Iterator[Desk]:
    clock = FixedClock(now)
    salon = make_salon(engine_factory(engine), hours=hours or {"mon-sun": "09:00-17:00"})
    container = build(settings_for(tmp_path, doubles, **settings), redis=redis_client, engine=engine, clock=clock)
    worker.install(container)
    try:
        yield Desk(container, clock, salon, *doubles)
    finally:
        worker.install(None)
        for sender in container.senders.values():
            getattr(sender, "close", lambda: None)()


def engine_factory(engine):
    from core.db.session import make_session_factory

    return make_session_factory(engine)


def later(moment: datetime, **delta) -> datetime:
    return moment + timedelta(**delta)
