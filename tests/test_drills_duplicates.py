"""Drill: the message that books, delivered five times by the platform (issue 14).

Telegram resends an update it got no answer to, Slack retries an event (X-Slack-Retry-Num) and
Twilio a webhook, each with the same id. Through the real webhook routes, correctly signed or
with the secret token, the booking message of a whole conversation comes five times: one
appointment is made, the client reads one "Booked" answer, and gets one confirmation.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.chat_helpers import appointments
from tests.doubles.slack_api import SIGNING_SECRET, SlackWorkspace
from tests.doubles.telegram_api import TelegramPerson
from tests.doubles.twilio_api import Phone, TwilioWebhooks
from tests.notification_helpers import PUBLIC_URL, doubles_fixture, make_desk  # noqa: F401  (fixtures)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday; "tomorrow after 4" is Tuesday 1 December
SECRET = "drill-telegram-secret"
DELIVERIES = 5
ASK = "a haircut with Sam tomorrow after 4"


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW, TELEGRAM_WEBHOOK_SECRET=SECRET)


@pytest.fixture(name="web")
def web_fixture(desk):
    from webhooks.app import create_app

    with TestClient(create_app(desk.container)) as client:
        yield client


def telegram(web, desk) -> tuple[list[str], list[str]]:
    """The tap on "Yes, book it": one callback_query update, sent five times with its update_id."""
    person = TelegramPerson(user_id=5550021)

    def post(update: dict) -> None:
        assert web.post("/webhooks/telegram", json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code == 200

    post(person.message(ASK))
    post(person.tap(desk.telegram.last_message(person.user_id), "16:00"))
    booking = person.tap(desk.telegram.last_message(person.user_id), "Yes")

    def said() -> list[str]:
        return [p["text"] for p in desk.telegram.params("sendMessage") if int(p["chat_id"]) == person.user_id]
    before = len(said())
    post(booking)
    first = said()[before:]
    for _ in range(DELIVERIES - 1):
        post(booking)
    return first, said()[before + len(first):]


def slack(web, desk) -> tuple[list[str], list[str]]:
    """The name that books, as one Events API event: the first delivery and four retries."""
    workspace, api = SlackWorkspace(web, SIGNING_SECRET, desk.slack), desk.slack
    workspace.dm("U0BEA", ASK)
    workspace.click("U0BEA", api.wait_for("chat.postMessage", containing="Haircut with Sam tomorrow"), "16:00")
    workspace.click("U0BEA", api.wait_for("chat.postMessage", containing="Shall I book it?"), "Yes")
    api.wait_for("chat.postMessage", containing="What name")
    api.quiet()

    def said() -> list[str]:
        return [c.text for c in api.calls_to("chat.postMessage")]
    before, replies = len(said()), []
    for retry in range(DELIVERIES):
        answer = workspace.dm("U0BEA", "Bea Lima", msg_id="0d5c0a1e-0000-4000-8000-00000000b3a0",
                              event_id="Ev0DRILLBEA", retry=retry)
        assert answer.status_code == 200
        api.quiet()
        replies.append(said()[before + sum(map(len, replies)):])
    return replies[0], [text for later in replies[1:] for text in later]


def sms(web, desk) -> tuple[list[str], list[str]]:
    """The name that books, as one Twilio webhook (one MessageSid) posted five times."""
    phone = Phone(TwilioWebhooks(web, auth_token=desk.twilio.auth_token, public_url=PUBLIC_URL), "+442079460021")
    phone.text(ASK)
    phone.pick("16:00")
    phone.text("YES")
    first = phone.text("Cleo Dias", sid="SM0drillcleo0000000000000000000001")
    return first, [text for _ in range(DELIVERIES - 1)
                   for text in phone.text("Cleo Dias", sid="SM0drillcleo0000000000000000000001")]


@pytest.mark.parametrize("channel", [telegram, slack, sms], ids=["telegram", "slack", "sms"])
def test_the_booking_message_delivered_five_times_books_once_and_is_answered_once(desk, web, channel):
    first, again = channel(web, desk)
    [row] = appointments(desk.container.session_factory)
    assert any(f"Your confirmation code is {row.confirmation_code}" in text for text in first), first
    assert again == []  # the four deliveries after the first: nothing said
    desk.work()  # the booking's event: one confirmation, over the channel it came from
    assert [(n.kind, n.status, n.channel) for n in desk.notifications(appointment_id=row.id, kind="confirmation")] \
        == [("confirmation", "sent", channel.__name__)]
