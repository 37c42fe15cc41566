"""The sweep puts back in RQ what the database says should be there: a scheduled reminder whose job was
deleted, a queued notice whose job was lost, the reminders of an upcoming appointment that has none.
It is idempotent, and the worker runs it by itself at start and as soon as Redis comes back empty.
A real Redis, a real RQ worker, the channel doubles (tests/notification_helpers.py)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import worker
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk, worker_job  # noqa: F401  (fixtures)

LONDON = "Europe/London"
NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
SUNDAY_TEN = at(LONDON, 2027, 3, 28, 10)  # reminders at 09:00 UTC Saturday and 07:00 UTC Sunday
REMINDERS = [datetime(2027, 3, 27, 9, 0, tzinfo=UTC), datetime(2027, 3, 28, 7, 0, tzinfo=UTC)]


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


def sent_to(desk, chat: int, prefix: str) -> list[str]:
    return [p["text"] for p in desk.telegram.params("sendMessage")
            if int(p["chat_id"]) == chat and p["text"].startswith(prefix)]


def test_a_scheduled_reminder_whose_job_was_deleted_is_queued_again_and_arrives_on_time(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, SUNDAY_TEN)
    desk.work()
    first = desk.notifications(appointment_id=appt.id, kind="reminder")[0]
    desk.jobs.cancel(worker_job(first))  # Redis lost it (a restart without persistence, a flush)
    assert desk.reminder_times(appt.id) == REMINDERS[1:]

    swept = desk.container.notifications.sweep()
    assert swept.requeued == [first.id] and swept.planned == []
    assert desk.reminder_times(appt.id) == REMINDERS
    assert desk.container.notifications.sweep().requeued == []  # nothing more to put back

    desk.at(REMINDERS[0])
    assert len(sent_to(desk, 5550001, "Reminder")) == 1


def test_a_queued_notice_whose_job_was_lost_is_sent_once(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    desk.container.booking.publish = lambda _ids: None  # plan by hand, to lose the job in between
    appt = desk.book(ana, SUNDAY_TEN)
    [confirmation] = desk.container.notifications.on_event("booked", appt.id, 1)
    desk.jobs.cancel(worker_job(desk.notifications(id=confirmation)[0]))
    desk.work()
    assert desk.telegram.params("sendDocument") == []  # its job is gone: nothing would ever send it

    assert desk.container.notifications.sweep().requeued == [confirmation]
    desk.work()
    desk.container.notifications.sweep()
    desk.work()
    assert len(desk.telegram.params("sendDocument")) == 1


def test_an_upcoming_appointment_with_no_reminders_gets_them_planned(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    desk.container.booking.publish = lambda _ids: None  # its event stays in the outbox: nothing planned
    appt = desk.book(ana, SUNDAY_TEN)
    soon = desk.book(ana, at(LONDON, 2027, 3, 26, 14))  # in an hour: no reminder can be ahead of it
    assert desk.reminder_times(appt.id) == []

    swept = desk.container.notifications.sweep()
    assert swept.planned == [appt.id] and soon.id not in swept.planned
    assert desk.reminder_times(appt.id) == REMINDERS
    again = desk.container.notifications.sweep()
    assert again.planned == [] and again.requeued == []
    assert len(desk.notifications(kind="reminder")) == 2


def test_the_worker_sweeps_by_itself_when_redis_comes_back_empty(desk, redis_client):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, SUNDAY_TEN)
    desk.work()
    redis = desk.container.redis
    running = worker.SlotlineWorker(worker.queues(redis), connection=redis)
    running.tending()  # what the worker does between jobs; at start it sweeps, and finds all in place
    assert desk.reminder_times(appt.id) == REMINDERS

    redis_client.flushall()  # Redis restarted without persistence, while the worker kept running
    assert desk.reminder_times(appt.id) == []
    running.tending()  # its next tend, seconds later: not the five-minute sweep, but Redis came back empty
    assert desk.reminder_times(appt.id) == REMINDERS
    running.work(burst=True)
    assert len(desk.telegram.params("sendDocument")) == 1  # the confirmation was not sent again


def test_the_worker_sweep_purges_nameless_clients_who_never_booked(desk):
    from datetime import timedelta

    from sqlalchemy import select

    from core.db.models import ChannelIdentity, User
    from core.db.session import UnitOfWork

    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        passer_by = User(name="", role="client", created_at=NOW - timedelta(days=2))
        uow.session.add(passer_by)
        uow.session.flush()
        uow.session.add(ChannelIdentity(user_id=passer_by.id, channel="web", external_id="old-session"))
        uow.commit()
        gone = passer_by.id
    ana = desk.client("Ana", "telegram", "5550001")
    desk.book(ana, SUNDAY_TEN)
    redis = desk.container.redis
    worker.SlotlineWorker(worker.queues(redis), connection=redis).tending()
    with UnitOfWork(desk.container.session_factory) as uow:
        users = set(uow.session.scalars(select(User.id)))
        assert gone not in users and ana in users
