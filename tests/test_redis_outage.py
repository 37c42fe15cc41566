"""No notice is lost (DESIGN #7): a real redis-server of the test's own is stopped, and started again
on the same port empty, as a restart without persistence leaves it.

While it is down, REST bookings go on in well under a second each (the database guards alone),
the web chat answers 503 with a reply in its usual shape and the webhooks a clear answer, never a
500; every booking's event waits in the outbox table. Once Redis is back the worker's own tending
(a real `SlotlineWorker`, in burst mode here) relays them: each client gets one confirmation over
SMS (the Twilio double) and has its reminders scheduled, with nothing restarted by hand.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select

import worker
from config.settings import Settings
from core.db.models import OutboxEvent
from core.db.session import UnitOfWork
from slotline.bootstrap import connect_redis
from tests.doubles.slack_api import SIGNING_SECRET, SlackWorkspace
from tests.doubles.telegram_api import TelegramPerson
from tests.doubles.twilio_api import Phone, TwilioWebhooks
from tests.factories import at
from tests.test_notifications_delivery import cli
from tests.notification_helpers import PUBLIC_URL, doubles_fixture, make_desk  # noqa: F401  (fixtures)
from webhooks.errors import NOTES_AWAY

ROOT = Path(__file__).resolve().parents[1]
LONDON = "Europe/London"
NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # a Friday
TELEGRAM_SECRET = "outage-secret"
AUTH = {"Authorization": "Bearer test-token"}
BOOKINGS = 20
# Monday and Tuesday, five morning and early-afternoon hours each, with each of the salon's two providers.
STARTS = [at(LONDON, 2027, 3, day, hour) for day in (29, 30) for hour in (9, 10, 11, 13, 14)]


@pytest.fixture(name="desk")
def desk_fixture(engine, stoppable_redis, tmp_path, doubles):
    # The app's own Redis client, as `slotline web` makes it: short timeouts, no retries with backoff.
    redis = connect_redis(Settings(SLOTLINE_REDIS_URL=stoppable_redis.url))
    yield from make_desk(engine, redis, tmp_path, doubles, NOW, hours={"mon-sun": "09:00-17:00"},
                         SLOTLINE_REDIS_URL=stoppable_redis.url, TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET)
    redis.close()


@pytest.fixture(name="web")
def web_fixture(desk):
    from webhooks.app import create_app

    with TestClient(create_app(desk.container)) as client:
        yield client


def run_worker(desk) -> None:
    """What the worker does once Redis answers: tend (relay the outbox, sweep), then run the queued jobs."""
    redis = desk.container.redis
    worker.SlotlineWorker(worker.queues(redis), connection=redis).work(burst=True, with_scheduler=True)


def pending_events(desk) -> list[OutboxEvent]:
    with UnitOfWork(desk.container.session_factory) as uow:
        return list(uow.session.scalars(select(OutboxEvent).where(OutboxEvent.relayed_at.is_(None))))


def book_over_rest(web, desk, clients: list[int]) -> tuple[list[dict], list[float]]:
    booked, took = [], []
    for n, client in enumerate(clients):
        provider = desk.salon.sam if n % 2 == 0 else desk.salon.alex
        started = time.perf_counter()
        response = web.post("/api/v1/appointments", headers=AUTH, json={
            "serviceId": desk.salon.haircut, "providerId": provider, "clientId": client,
            "startTime": STARTS[n // 2].isoformat()})
        took.append(time.perf_counter() - started)
        assert response.status_code == 201, response.text
        booked.append(response.json())
    return booked, took


def test_bookings_go_on_while_redis_is_down_and_every_notice_follows_once_it_is_back(desk, web, stoppable_redis,
                                                                                       tmp_path):
    phones = [f"+4420794600{n:02d}" for n in range(BOOKINGS)]
    clients = [desk.client(f"Client {n}", "sms", phone) for n, phone in enumerate(phones)]
    assert web.get("/api/v1/services", headers=AUTH).status_code == 200  # the app's first request warms it up
    stoppable_redis.stop()

    booked, took = book_over_rest(web, desk, clients)
    assert max(took) < 1.0, f"slowest booking took {max(took):.3f} s"
    started = time.perf_counter()
    chat = web.post("/api/v1/chat", json={"session": "web-while-redis-is-away", "text": "hello"})
    assert time.perf_counter() - started < 1.0
    assert chat.status_code == 503, chat.text
    assert chat.json()["replies"] == [{"text": NOTES_AWAY, "choices": []}]
    assert len(pending_events(desk)) == BOOKINGS  # each booking's event waits in the database
    assert desk.twilio.calls == []
    listed = cli(desk.container.engine, stoppable_redis.url, tmp_path, "notifications", "--failed")
    assert f"{BOOKINGS} booking event(s) wait for the job queue" in listed

    stoppable_redis.start()  # the same server, back empty
    run_worker(desk)
    codes = {b["confirmationCode"]: phones[n] for n, b in enumerate(booked)}
    told = Counter((call.form["To"], code) for call in desk.twilio.calls for code in codes
                   if code in call.form["Body"])
    assert told == Counter((phone, code) for code, phone in codes.items())  # each told once, with their own code
    for appointment in booked:
        assert len(desk.reminder_times(appointment["id"])) == 2  # 24 h and 2 h before, scheduled with RQ
    assert pending_events(desk) == []

    run_worker(desk)  # the worker tends again: nothing is sent twice
    assert len(desk.twilio.calls) == BOOKINGS


def test_a_redis_that_hangs_costs_one_timeout_not_one_per_call(desk, web, stoppable_redis):
    phones = [f"+4420794601{n:02d}" for n in range(5)]
    clients = [desk.client(f"Client {n}", "sms", phone) for n, phone in enumerate(phones)]
    assert web.get("/api/v1/services", headers=AUTH).status_code == 200
    breaker = desk.container.redis.connection_pool.connection_class.breaker
    breaker.pause = 1.0  # shorter than in production, for the test to see it close again
    os.kill(stoppable_redis.process.pid, signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        booked, took = book_over_rest(web, desk, clients)
        assert took[0] < 3  # one command waits for its 2 s timeout, and opens the breaker
        assert max(took[1:]) < 0.5, took
    finally:
        os.kill(stoppable_redis.process.pid, signal.SIGCONT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _answers(desk.container.redis):
        time.sleep(0.1)
    run_worker(desk)
    assert sorted(call.form["To"] for call in desk.twilio.calls) == phones  # each told once


def _answers(redis) -> bool:
    try:
        return bool(redis.ping())
    except RedisError:
        return False


def test_while_redis_is_down_the_webhooks_give_a_clear_answer(desk, web, stoppable_redis):
    stoppable_redis.stop()
    phone = Phone(TwilioWebhooks(web, auth_token=desk.twilio.auth_token, public_url=PUBLIC_URL), "+442079460958")
    assert phone.text("a haircut tomorrow") == [NOTES_AWAY]  # TwiML, 200: the texter is told, Twilio is satisfied
    assert phone.text("STOP") == []  # an opt-out is still recorded
    from bots.sms.optouts import OptOuts

    assert OptOuts(desk.container.session_factory).is_opted_out("+442079460958")

    person = TelegramPerson(user_id=5550009)
    response = web.post("/webhooks/telegram", json=person.message("hello"),
                        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert response.status_code == 200
    [sorry] = [p for p in desk.telegram.params("sendMessage") if int(p["chat_id"]) == 5550009]
    assert "try" in sorry["text"].lower()

    slack = SlackWorkspace(web, SIGNING_SECRET, desk.slack)
    assert slack.dm("U0ANA", "hello").status_code == 200  # acknowledged; the person is told after
    assert "try again" in desk.slack.wait_for("chat.postMessage", containing="Sorry").text

    inbox = web.get("/api/v1/chat/inbox", headers={"X-Chat-Session": "web-while-redis-is-away"})
    assert inbox.status_code == 503, inbox.text


def test_an_event_whose_job_redis_lost_is_queued_again_by_the_sweep(desk, stoppable_redis):
    ana = desk.client("Ana", "sms", "+442079460958")
    appt = desk.book(ana, STARTS[0])  # relayed at once: its job waits in Redis for a worker
    [event] = [e for e in _events(desk) if e.payload["appointment_id"] == appt.id]
    assert event.relayed_at is not None and event.done_at is None
    stoppable_redis.stop()
    stoppable_redis.start()  # ...and Redis comes back empty before any worker ran the job
    desk.clock.now = NOW + timedelta(seconds=10)  # seconds later: the worker sees the queue came back empty
    run_worker(desk)
    assert [c.form["To"] for c in desk.twilio.calls] == ["+442079460958"]  # the confirmation, once
    assert len(desk.reminder_times(appt.id)) == 2
    [event] = [e for e in _events(desk) if e.payload["appointment_id"] == appt.id]
    assert event.done_at is not None


def _events(desk) -> list[OutboxEvent]:
    with UnitOfWork(desk.container.session_factory) as uow:
        return list(uow.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the worker's database plays no part here
def test_a_running_worker_and_its_scheduler_recover_when_redis_comes_back(engine, stoppable_redis, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    env |= {"SLOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SLOTLINE_REDIS_URL": stoppable_redis.url, "SLOTLINE_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "slotline.cli", "worker"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis = Redis.from_url(stoppable_redis.url)
    try:
        assert scheduled_job_runs(redis) < 20  # the worker and RQ's scheduler process are up
        stoppable_redis.stop()
        time.sleep(3)  # RQ's scheduler process dies with Redis; the worker waits for it
        stoppable_redis.start()
        assert scheduled_job_runs(redis) < 20  # RQ alone would start its scheduler again in ten minutes
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        redis.close()


def scheduled_job_runs(redis: Redis, timeout: float = 20) -> float:
    """Seconds until a job scheduled for the next second has run: RQ's scheduler queued it, a worker ran it."""
    job = Queue(worker.QUEUE, connection=redis).enqueue_in(timedelta(seconds=1), "time.sleep", 0)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if job.get_status(refresh=True) == "finished":
                return time.monotonic() - started
        except RedisError:  # Redis still starting
            pass
        time.sleep(0.1)
    pytest.fail(f"a scheduled job did not run within {timeout:.0f} s")
