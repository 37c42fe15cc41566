"""Delivery: a confirmation at once over the client's own channel (with an .ics where a file can go),
retries with backoff on transient failures only, failures listed and requeued by the CLI, and each
notification sent once however often its job runs."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from rq.job import Job
from rq.registry import FailedJobRegistry

from core.booking import clients
from core.notifications.ports import MAX_ATTEMPTS
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk, worker_job  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
MONDAY_TEN = at("Europe/London", 2027, 3, 29, 10)


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


def test_a_telegram_confirmation_carries_the_ics_with_its_caption(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, MONDAY_TEN)
    assert desk.telegram.params("sendDocument") == []  # nothing is sent in the request
    desk.work()
    [sent] = desk.telegram.params("sendDocument")
    assert sent["caption"].startswith("Booked: Haircut with Sam, Mon 29 Mar at 10:00 London time.")
    assert appt.confirmation_code in sent["caption"]
    assert sent["document"]["filename"] == "appointment.ics"
    event = Calendar.from_ical(sent["document"]["content"]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2027, 3, 29, 9, 45, tzinfo=UTC)
    assert str(event["uid"]) == f"appointment-{appt.id}@slotline"
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.channel, row.attempts, row.version) == ("sent", "telegram", 1, 1)
    assert row.log[-1]["status"] == "sent"


def test_a_slack_confirmation_is_a_message_then_the_ics_file(desk):
    desk.slack.canned["files.getUploadURLExternal"] = {
        "ok": True, "upload_url": desk.slack.response_url("upload/F0ICS"), "file_id": "F0ICS"}
    desk.slack.canned["files.completeUploadExternal"] = {"ok": True, "files": [{"id": "F0ICS"}]}
    cy = desk.client("Cy", "slack", "U0CY")
    desk.book(cy, MONDAY_TEN)
    desk.work()
    posted = desk.slack.wait_for("chat.postMessage", containing="Booked: Haircut with Sam")
    assert posted.params["channel"] == "D0CY"
    assert desk.slack.calls_to("files.getUploadURLExternal")[0].params["filename"] == "appointment.ics"
    assert desk.slack.calls_to("files.completeUploadExternal")[0].params["channel_id"] == "D0CY"


def test_an_sms_confirmation_is_a_short_text(desk):
    bo = desk.client("Bo", "sms", "+442079460958")
    desk.book(bo, MONDAY_TEN)
    desk.work()
    [call] = desk.twilio.calls
    assert call.form["Body"].startswith("Booked: Haircut with Sam, Mon 29 Mar at 10:00 London time.")
    assert "MediaUrl" not in call.form


def test_a_permanent_failure_is_not_retried_and_is_listed_then_requeued(desk, engine, redis_url, tmp_path):
    desk.telegram.block(5550001)
    ana = desk.client("Ana", "telegram", "5550001")
    desk.book(ana, MONDAY_TEN)
    desk.work()
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.attempts) == ("failed", 1)
    assert "blocked" in row.error
    assert worker_job(row) not in desk.scheduled()  # no retry waiting
    listed = cli(engine, redis_url, tmp_path, "notifications", "--failed")
    assert f"{row.id:>6}  confirmation" in listed and "failed" in listed
    desk.telegram._blocked.clear()  # they unblock the bot, and write to it: it reaches them again
    clients.reachable_again(desk.container.session_factory, "telegram", "5550001")
    assert f"requeued {row.id}" in cli(engine, redis_url, tmp_path, "notifications", "--requeue", str(row.id))
    desk.work()
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.attempts) == ("sent", 1)
    assert [entry["outcome"] for entry in row.log][-2:] == ["requeued by hand", "sent by telegram"]
    assert "no failed notifications" in cli(engine, redis_url, tmp_path, "notifications", "--failed")


def test_transient_failures_are_retried_with_backoff_until_they_give_up(desk):
    desk.twilio.fail_with(0, 500)  # Twilio is down
    bo = desk.client("Bo", "sms", "+442079460958")
    desk.book(bo, MONDAY_TEN)
    desk.work()
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.attempts) == ("retrying", 1)
    job = Job.fetch(worker_job(row), connection=desk.container.redis)
    assert (job.get_status(), job.retries_left, job.retry_intervals) == ("scheduled", 3, [30, 120, 480, 1920])
    for _ in range(MAX_ATTEMPTS - 1):  # each retry, once RQ's scheduler releases it
        desk.jobs.release_due(datetime.now(UTC) + timedelta(days=1))
        desk.work()
    [row] = desk.notifications(kind="confirmation")
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert [entry["status"] for entry in row.log] == ["retrying"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert len(desk.twilio.calls) == MAX_ATTEMPTS
    assert worker_job(row) in FailedJobRegistry(queue=desk.jobs.queue).get_job_ids()
    desk.twilio.reset()
    desk.container.notifications.requeue_failed()
    desk.work()
    assert desk.notifications(kind="confirmation")[0].status == "sent"
    assert len(desk.twilio.calls) == 1


def test_running_a_delivery_job_again_sends_nothing_more(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    desk.book(ana, MONDAY_TEN)
    desk.work()
    [row] = desk.notifications(kind="confirmation")
    for again in ("a", "b"):  # RQ running the same job a second time (a retry, a restarted worker)
        desk.jobs.enqueue("deliver", row.id, job_id=f"slotline-again-{again}")
    desk.work()
    assert len(desk.telegram.params("sendDocument")) == 1


def test_a_worker_killed_after_claiming_does_not_send_twice_and_is_listed_as_interrupted(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    desk.container.booking.publish = lambda _events: None  # plan by hand, to stop between the steps
    appt = desk.book(ana, MONDAY_TEN)
    [notification_id] = desk.container.notifications.on_event("booked", appt.id, 1)
    from core.notifications import records

    claimed = records.claim(desk.container.session_factory, notification_id, NOW)
    assert claimed.status == "sending"  # ...and here the worker is killed, before it records anything
    desk.work()  # the job RQ had queued runs (as a restarted worker would): it finds the row taken
    desk.jobs.enqueue("deliver", notification_id, job_id="slotline-restarted")
    desk.work()
    assert desk.telegram.params("sendDocument") == []
    assert desk.container.notifications.failed() == []  # not yet: it may still be sending
    desk.clock.now = NOW + timedelta(minutes=20)
    assert [n.id for n in desk.container.notifications.failed()] == [notification_id]


def cli(engine, redis_url: str, tmp_path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    env |= {"SLOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SLOTLINE_REDIS_URL": redis_url, "SLOTLINE_DATA_DIR": str(tmp_path / "cli")}
    done = subprocess.run([sys.executable, "-m", "slotline.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout
