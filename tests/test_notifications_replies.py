"""Answering a reminder: by one letter on SMS (C confirms, X cancels, R moves) and by its buttons on
Telegram; the reply acts on the appointment the latest reminder was about."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from core.db.models import Appointment, Business
from core.db.session import UnitOfWork
from tests.doubles.telegram_api import TelegramPerson
from tests.doubles.twilio_api import Phone, TwilioWebhooks
from tests.factories import at
from tests.notification_helpers import PUBLIC_URL, doubles_fixture, make_desk  # noqa: F401  (fixtures)
from webhooks.app import create_app

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
MONDAY_TEN = at("Europe/London", 2027, 3, 29, 10)
DAY_BEFORE = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)  # when the 24 h reminder is due
BO = "+442079460958"
SECRET = "telegram-webhook-secret"


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW, TELEGRAM_WEBHOOK_SECRET=SECRET)


@pytest.fixture(name="web")
def web_fixture(desk) -> Iterator[TestClient]:
    app = create_app(desk.container)
    with TestClient(app) as client:
        yield client


@pytest.fixture(name="phone")
def phone_fixture(desk, web) -> Phone:
    return Phone(TwilioWebhooks(web, auth_token=desk.twilio.auth_token, public_url=PUBLIC_URL), BO)


def reminded(desk) -> Appointment:
    """Bo books Monday 10:00 by the API; the day before, the reminder comes by SMS."""
    bo = desk.client("Bo", "sms", BO)
    appt = desk.book(bo, MONDAY_TEN)
    desk.work()
    desk.at(DAY_BEFORE)
    assert desk.twilio.calls[-1].form["Body"].startswith("Reminder: your Haircut with Sam is tomorrow")
    return appt


def current(desk, appointment_id: int) -> Appointment:
    return desk.container.booking.get(appointment_id)


def test_r_offers_numbered_times_and_completes_the_move(desk, phone):
    appt = reminded(desk)
    desk.link_provider_slack(desk.salon.sam, "U0SAM")
    said = phone.text("R")[0]
    assert said.startswith("The nearest free times to move your Haircut with Sam, tomorrow (Mon 29 Mar) at 10:00 to")
    assert "1) " in said and said.rstrip().endswith("Reply with a number.")
    phone.text("2")
    assert "Shall I move it?" in phone.said
    phone.text("yes")
    assert phone.said.startswith("Done: your Haircut is moved to")
    moved = current(desk, appt.id)
    assert (moved.version, moved.status) == (2, "confirmed") and moved.start_at != appt.start_at
    desk.work()  # the move's event: reminders re-timed; Sam hears of it in Slack; Bo was told in the chat
    note = desk.slack.wait_for("chat.postMessage", containing="Bo moved their Haircut")
    assert note.params["channel"] == "D0SAM"
    assert {n.status for n in desk.notifications(kind="reminder", version=1)} == {"cancelled", "sent"}
    assert desk.notifications(kind="moved") == []


def test_c_confirms_the_reminded_appointment(desk, phone):
    appt = reminded(desk)
    phone.text("c")
    assert phone.said.startswith("Thanks, you're confirmed: Haircut with Sam, tomorrow (Mon 29 Mar) at 10:00")
    assert current(desk, appt.id).status == "confirmed"


def test_x_asks_once_then_cancels(desk, phone):
    appt = reminded(desk)
    phone.text("X")
    assert phone.said.startswith("Cancel your Haircut with Sam, tomorrow (Mon 29 Mar) at 10:00 London time?")
    phone.pick("Yes, cancel it")
    assert phone.said.startswith("Cancelled: your Haircut with Sam")
    assert current(desk, appt.id).status == "cancelled"
    desk.work()
    assert desk.scheduled() == {}


def test_x_cancels_at_once_when_the_business_does_not_ask(desk, phone):
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.get(Business, 1).confirm_sms_cancel = False
        uow.commit()
    appt = reminded(desk)
    phone.text("X")
    assert phone.said.startswith("Cancelled: your Haircut with Sam")
    assert current(desk, appt.id).status == "cancelled"


def test_a_letter_without_a_reminder_is_just_a_message(desk, phone):
    desk.client("Bo", "sms", BO)
    phone.text("C")
    assert "Sorry, I didn't catch that" in phone.said


def test_the_telegram_reminder_buttons_confirm_and_move(desk, web):
    person = TelegramPerson(5550001, "Ana")
    ana = desk.client("Ana", "telegram", str(person.user_id))
    appt = desk.book(ana, MONDAY_TEN)
    desk.work()
    desk.at(DAY_BEFORE)

    def tap(label: str) -> str:
        update = person.tap(desk.telegram.last_message(person.user_id), label)
        assert web.post("/webhooks/telegram", json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code == 200
        return desk.telegram.last_message(person.user_id)["text"]

    assert tap("Confirm").startswith("Thanks, you're confirmed")
    desk.at(datetime(2027, 3, 29, 7, 0, tzinfo=UTC))  # the 2 h reminder
    assert tap("Move").startswith("The nearest free times to move your Haircut")
    tap("09:30")
    assert tap("Yes, move it").startswith("Done: your Haircut is moved to today (Mon 29 Mar) at 09:30")
    assert current(desk, appt.id).start_at == datetime(2027, 3, 29, 8, 30, tzinfo=UTC)
