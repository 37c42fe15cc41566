"""Telegram over its webhook: real-shaped Updates in, the Bot API calls a local double records out.

Same salon and clock as tests/test_chat_dialogues.py (Monday 30 November 2026, 08:00 London).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.telegram.channel import ALREADY_CHOSEN
from bots.telegram.inbound import NO_EDITS, SECRET_HEADER, TEXT_ONLY, UNKNOWN_COMMAND
from config.settings import Settings
from core.booking import setup_writes
from core.db.models import ChannelIdentity, User
from core.db.session import UnitOfWork
from slotline.bootstrap import build
from tests.chat_helpers import appointments, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.telegram_api import TelegramAPI, TelegramPerson
from tests.factories import at
from webhooks.app import create_app

SECRET = "test_secret-Token1"


def telegram_settings(api: TelegramAPI, tmp_path: Path, **extra) -> Settings:
    return Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path), TELEGRAM_BOT_TOKEN=api.token,
                    TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_BASE_URL=api.base_url, **extra)


@pytest.fixture(name="api")
def api_fixture() -> Iterator[TelegramAPI]:
    with TelegramAPI() as double:
        yield double


@pytest.fixture
def container(engine, redis_client, clock, salon, tmp_path, api):
    return build(telegram_settings(api, tmp_path), redis=redis_client, engine=engine, clock=clock)


@pytest.fixture
def web(container) -> Iterator[TestClient]:
    app = create_app(container)
    with TestClient(app) as client:
        yield client
    container.close()  # the Telegram sender's thread with it


class Chat:
    """One person's private chat with the bot, driven through POST /webhooks/telegram."""

    def __init__(self, web: TestClient, api: TelegramAPI, person: TelegramPerson | None = None):
        self.web, self.api, self.person = web, api, person or TelegramPerson()

    def post(self, update: dict, secret: str | None = SECRET) -> dict:
        response = self.web.post("/webhooks/telegram", json=update,
                                 headers={SECRET_HEADER: secret} if secret is not None else {})
        assert response.status_code == 200, response.text
        return update

    def say(self, text: str) -> dict:
        return self.post(self.person.message(text))

    def tap(self, label: str) -> dict:
        return self.post(self.person.tap(self.api.last_message(self.person.user_id), label))

    @property
    def sent(self) -> list[dict]:
        return [p for p in self.api.params("sendMessage") if int(p["chat_id"]) == self.person.user_id]

    @property
    def text(self) -> str:
        return self.sent[-1]["text"]


def labels(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


def user_behind(session_factory, channel: str, external_id: str) -> User | None:
    with UnitOfWork(session_factory) as uow:
        return uow.session.scalar(select(User).join(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id))


def test_a_whole_booking_from_updates_to_the_appointment_row(web, api, session_factory, salon):
    ana = Chat(web, api)
    ana.say("a haircut with Sam tomorrow after 4")
    offer = ana.sent[-1]
    assert "Free times for a Haircut with Sam tomorrow (Tue 1 Dec) (London time)" in offer["text"]
    rows = offer["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == ["16:00", "16:15"] and rows[0][0]["callback_data"] == "slot:0"
    assert [b["text"] for b in rows[-1]] == ["Later", "Another day"]  # compact rows, navigation on its own
    offer_id = api.last_message(ana.person.user_id)["message_id"]

    first = ana.tap("16:00")
    assert api.params("answerCallbackQuery")[-1]["callback_query_id"] == first["callback_query"]["id"]
    [edit] = api.params("editMessageText")
    assert int(edit["message_id"]) == offer_id and edit["text"].endswith("» 16:00") and "reply_markup" not in edit
    assert "reply_markup" not in api.messages[(ana.person.user_id, offer_id)]  # the old buttons are gone
    assert "Haircut (45 min) with Sam, tomorrow (Tue 1 Dec) at 16:00 London time. Shall I book it?" in ana.text
    assert labels(ana.sent[-1]) == ["Yes, book it", "No, other times"]

    second = ana.tap("Yes")
    [row] = appointments(session_factory)
    assert (row.provider_id, row.service_id, row.start_at, row.status, row.channel) == (
        salon.sam, salon.haircut, at("Europe/London", 2026, 12, 1, 16), "confirmed", "telegram")
    assert f"Booked! Haircut with Sam, tomorrow (Tue 1 Dec) at 16:00 London time. Your confirmation code is " \
           f"{row.confirmation_code}." == ana.text
    client = user_behind(session_factory, "telegram", str(ana.person.user_id))
    assert client.id == row.client_id and client.name == "Ana"  # the name came from Telegram: not asked
    assert [p["callback_query_id"] for p in api.params("answerCallbackQuery")] == [
        first["callback_query"]["id"], second["callback_query"]["id"]]
    assert len(api.params("editMessageText")) == 2
    assert api.methods().count("getMe") == 1  # one Bot, initialised once, for the whole conversation


def test_a_forged_or_missing_secret_is_refused_before_anything_runs(web, api, container):
    ana = Chat(web, api)
    update = ana.person.message("a haircut tomorrow")
    for headers in ({SECRET_HEADER: "not-the-secret"}, {SECRET_HEADER: SECRET + "x"}, {}):
        response = web.post("/webhooks/telegram", json=update, headers=headers)
        assert response.status_code == 403, response.text
    container.settings = container.settings.model_copy(update={"telegram_webhook_secret": None})
    assert web.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: ""}).status_code == 403
    assert api.calls == []


def test_a_malformed_body_is_400_with_a_reason(web, api):
    for body, reason in ((b"{not json", "not valid JSON"), (b"[1, 2]", "update_id"),
                         (b'{"update_id": "7"}', "update_id")):
        response = web.post("/webhooks/telegram", content=body, headers={SECRET_HEADER: SECRET,
                                                                          "Content-Type": "application/json"})
        assert response.status_code == 400 and reason in response.json()["detail"], response.text
    assert api.calls == []


def test_a_replayed_update_is_answered_once(web, api):
    ana = Chat(web, api)
    update = ana.say("a haircut with Sam tomorrow after 4")
    ana.post(update)  # Telegram retries when it got no 200 in time
    assert len(ana.sent) == 1


def test_a_double_tap_on_yes_books_once_and_both_taps_are_answered(web, api, session_factory):
    ana = Chat(web, api)
    ana.say("a haircut with Sam tomorrow after 4")
    ana.tap("16:00")
    yes = ana.tap("Yes, book it")
    ana.post(ana.person.again(yes))  # the same keyboard, pressed again before the edit arrived
    assert len(appointments(session_factory)) == 1
    assert [p["text"] for p in ana.sent].count(ana.text) == 1 and ana.text.startswith("Booked!")
    answers = api.params("answerCallbackQuery")
    assert len(answers) == 3 and answers[-1].get("text") == ALREADY_CHOSEN


def test_sharing_a_phone_links_the_chat_to_the_sms_identity(web, api, session_factory):
    ana = Chat(web, api)
    ana.say("/start")
    offer = ana.sent[-1]
    assert offer["reply_markup"]["keyboard"] == [[{"text": "Share my phone number", "request_contact": True}]]
    assert "What would you like to do?" in ana.sent[-2]["text"]

    ana.post(ana.person.contact("447911123456", own=False))
    assert "your own number" in ana.text
    ana.post(ana.person.contact("447911123456"))
    user = user_behind(session_factory, "telegram", str(ana.person.user_id))
    assert user.phone == "+447911123456" and user_behind(session_factory, "sms", "+447911123456").id == user.id
    assert "+447911123456 is now linked" in ana.text and ana.sent[-1]["reply_markup"] == {"remove_keyboard": True}
    ana.say("/start")
    assert "reply_markup" not in ana.sent[-1] or "keyboard" not in ana.sent[-1]["reply_markup"]  # offered once

    with UnitOfWork(session_factory, write=True) as uow:  # Ben books by SMS already
        ben_id = setup_writes.create_user(uow.session, name="Ben", phone="+447911123457").id
        uow.commit()
    ben = Chat(web, api, TelegramPerson(user_id=5550002, first_name="Ben"))
    ben.say("hello")
    ben.post(ben.person.contact("+447911123457"))
    assert user_behind(session_factory, "telegram", "5550002").id == ben_id


@pytest.mark.parametrize("sample, answer", [("sticker", TEXT_ONLY), ("edited_message", NO_EDITS)])
def test_what_the_assistant_cannot_read_gets_a_helpful_reply(web, api, sample, answer):
    ana = Chat(web, api)
    update = ana.post(ana.person.update(sample))
    assert ana.text == answer
    ana.post(update)
    assert len(ana.sent) == 1  # a retry of it is answered once too
    ana.say("/teleport")
    assert ana.text == UNKNOWN_COMMAND


def test_a_tap_on_a_message_too_old_to_show_still_loses_its_keyboard(web, api):
    ana = Chat(web, api)
    ana.say("a haircut with Sam tomorrow after 4")
    offer = api.last_message(ana.person.user_id)
    tap = ana.person.tap(offer, "16:00")
    # After 48 hours Telegram sends only an InaccessibleMessage: chat, id and date 0, no text or keyboard.
    tap["callback_query"]["message"] = {"chat": offer["chat"], "message_id": offer["message_id"], "date": 0}
    ana.post(tap)
    [edit] = api.params("editMessageReplyMarkup")
    assert int(edit["message_id"]) == offer["message_id"] and "reply_markup" not in edit
    assert "reply_markup" not in api.messages[(ana.person.user_id, offer["message_id"])]
    assert "Shall I book it?" in ana.text
