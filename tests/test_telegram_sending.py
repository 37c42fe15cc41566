"""Telegram's outbound side against the local Bot API double: flood control, a blocked bot,
start-up registration, rendering limits, and polling mode end to end."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from telegram import Update
from telegram.error import RetryAfter

from bots.telegram import TelegramSender, configure_telegram, run_polling
from bots.telegram.inbound import COMMAND_MENU, to_incoming
from bots.telegram.render import MAX_TEXT, render
from bots.telegram.sender import retry_after_seconds
from config.settings import Settings
from core.conversation.messages import Choice, Reply
from core.notifications.sender import Sender, SendFailed
from slotline.bootstrap import build
from tests.chat_helpers import clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.telegram_api import TelegramPerson
from tests.test_telegram import SECRET, api_fixture, telegram_settings  # noqa: F401  (fixture)

ANA = 5550001
# PTB 22 warns inside RetryAfter itself that `retry_after` will become a timedelta; the sender reads either.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def sender(api, tmp_path) -> Iterator[TelegramSender]:
    sender = TelegramSender.from_settings(telegram_settings(api, tmp_path))
    yield sender
    sender.close()


def test_the_sender_is_the_sender_port_and_sends_an_inline_keyboard(sender, api):
    port: Sender = sender  # the worker's Outbox takes it as its "telegram" sender
    assert port.channel == "telegram"
    message_id = sender.send(str(ANA), Reply("Shall I book it?", (Choice("Yes, book it", "yes"),
                                                                   Choice("No, other times", "no"))))
    [sent] = api.params("sendMessage")
    assert message_id == str(api.last_message(ANA)["message_id"])
    assert sent["reply_markup"] == {"inline_keyboard": [[{"text": "Yes, book it", "callback_data": "yes"},
                                                         {"text": "No, other times", "callback_data": "no"}]]}


def test_a_retry_after_is_waited_out_and_the_message_still_arrives(sender, api):
    api.retry_after_once("sendMessage", seconds=1)
    assert sender.send(str(ANA), Reply("Reminder: your Haircut is tomorrow at 16:00.")) is not None
    refused, delivered = [c for c in api.calls if c.method == "sendMessage"]
    assert (refused.status, delivered.status) == (429, 200)
    assert delivered.at - refused.at >= 1.0  # Telegram asked for one second
    assert delivered.params["text"] == "Reminder: your Haircut is tomorrow at 16:00."


def test_flood_control_that_never_ends_is_a_transient_failure_not_a_drop(api, tmp_path):
    sender = TelegramSender.from_settings(telegram_settings(api, tmp_path), max_retries=0)
    api.retry_after_once("sendMessage", seconds=1)
    with pytest.raises(SendFailed) as failed:
        sender.send(str(ANA), Reply("Hello"))
    sender.close()
    assert failed.value.permanent is False  # the worker may try again later


def test_a_blocked_bot_is_a_permanent_failure(sender, api):
    api.block(ANA)
    with pytest.raises(SendFailed) as failed:
        sender.send(str(ANA), Reply("Your appointment is tomorrow."))
    assert failed.value.permanent is True and "blocked" in str(failed.value)


def test_start_up_registers_the_commands_and_the_webhook_with_its_secret(api, tmp_path):
    settings = telegram_settings(api, tmp_path, SLOTLINE_PUBLIC_URL="https://book.example.com/")
    assert configure_telegram(settings) == ["setMyCommands", "setWebhook"]
    assert configure_telegram(settings) == ["setMyCommands", "setWebhook"]  # every start-up: same state

    async def from_an_async_startup() -> list[str]:
        return configure_telegram(settings)
    assert asyncio.run(from_an_async_startup()) == ["setMyCommands", "setWebhook"]
    assert api.commands == [{"command": name, "description": text} for name, text in COMMAND_MENU]
    assert api.webhook == {"url": "https://book.example.com/webhooks/telegram", "secret_token": SECRET,
                           "allowed_updates": ["message", "edited_message", "callback_query"]}
    assert "drop_pending_updates" not in api.params("setWebhook")[-1]  # a restart loses no message

    assert configure_telegram(telegram_settings(api, tmp_path)) == ["setMyCommands"]  # no public URL
    assert configure_telegram(Settings(SLOTLINE_DATA_DIR=str(tmp_path), TELEGRAM_BOT_TOKEN="")) == []
    no_secret = settings.model_copy(update={"telegram_webhook_secret": None})
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        configure_telegram(no_secret)


def test_long_replies_are_split_and_long_option_values_still_fit_a_button():
    text = ("A line of an agenda.\n" * 300).strip()
    parts = render(Reply(text, (Choice("Book another", "intent:book"),)))
    assert len(parts) == 2 and all(len(part) <= MAX_TEXT for part, _ in parts)
    assert parts[0][1] is None and parts[1][1] is not None  # the keyboard goes with the last part
    [(_, markup)] = render(Reply("Pick one", (Choice("Short", "ok"), Choice("Long value", "v" * 70))))
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert [b.callback_data for b in buttons] == ["ok", "#2"]
    update = TelegramPerson().tap({"message_id": 9, "chat": {"id": ANA, "type": "private"}, "date": 1,
                                   "text": "Pick one", "reply_markup": markup.to_dict()}, "Long value")
    inbound = to_incoming(Update.de_json(update, None)).inbound
    assert (inbound.choice, inbound.text) == (None, "2")  # a bare number: the assistant picks the 2nd


def test_retry_after_reads_seconds_either_way():
    assert retry_after_seconds(RetryAfter(3)) == 3.0 == retry_after_seconds(RetryAfter(timedelta(seconds=3)))


@pytest.mark.timeout(60)
def test_polling_deletes_the_webhook_and_answers_an_update_from_get_updates(
        api, engine, redis_client, clock, salon, tmp_path):
    settings = telegram_settings(api, tmp_path)
    container = build(settings, redis=redis_client, engine=engine, clock=clock)
    api.webhook = {"url": "https://old.example.com/webhooks/telegram"}  # left from a deployment with a URL
    api.queue_update(TelegramPerson().message("a haircut with Sam tomorrow after 4"))
    try:
        run_polling(container.channels.telegram, settings, max_updates=1, poll_timeout=1)  # one update, then returns
    finally:
        container.close()
    methods = api.methods()
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    [sent] = api.params("sendMessage")
    assert int(sent["chat_id"]) == ANA and "Free times for a Haircut with Sam" in sent["text"]
    assert "inline_keyboard" in sent["reply_markup"]
