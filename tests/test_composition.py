"""The composition root builds every channel adapter once, shares it, and leaves a channel that is off as None;
the routes answer 503 for it, after refusing a request that fails the channel's own check."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from slotline.bootstrap import build
from webhooks.app import create_app

ONLY_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # no database work here
SECRET = "test_secret-Token1"
EVERY_CHANNEL = {"TELEGRAM_BOT_TOKEN": "123456:ABC-test", "TELEGRAM_WEBHOOK_SECRET": SECRET,
                 "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "slack-secret",
                 "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "twilio-token",
                 "TWILIO_FROM_NUMBER": "+447700900123", "SLOTLINE_PUBLIC_URL": "https://slotline.test"}


def settings(tmp_path, **values) -> Settings:
    return Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path), **values)


@ONLY_SQLITE
def test_every_adapter_is_built_once_over_the_outboxs_own_senders(engine, redis_client, tmp_path):
    container = build(settings(tmp_path, **EVERY_CHANNEL), redis=redis_client, engine=engine)
    channels, senders = container.channels, container.senders
    try:
        assert container.outbox.senders is senders
        assert channels.telegram.sender is senders["telegram"] and channels.telegram.assistant is container.assistant
        assert channels.sms.assistant is container.assistant
        assert (channels.agendas.sender, channels.agendas.workday) == (senders["slack"], container.provider_day)
        assert container.notifications.delivery.agendas is channels.agendas  # what the worker posts with
        assert channels.slack.client.token == "xoxb-test"
    finally:
        container.close()


@ONLY_SQLITE
def test_a_channel_that_is_off_is_none(engine, redis_client, tmp_path):
    container = build(settings(tmp_path), redis=redis_client, engine=engine)
    channels = container.channels
    assert (channels.telegram, channels.slack, channels.sms, channels.agendas) == (None, None, None, None)
    assert container.notifications.delivery.agendas is None


@ONLY_SQLITE
def test_telegram_off_is_503_saying_what_to_set_and_a_wrong_secret_is_still_403(engine, redis_client, tmp_path):
    container = build(settings(tmp_path, TELEGRAM_WEBHOOK_SECRET=SECRET), redis=redis_client, engine=engine)
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                          "from": {"id": 5, "is_bot": False, "first_name": "Ana"}, "text": "hi"}}
    with TestClient(create_app(container)) as http:
        off = http.post("/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        forged = http.post("/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
    assert (off.status_code, off.json()["detail"]) == (503, "Telegram is not configured: set TELEGRAM_BOT_TOKEN")
    assert forged.status_code == 403


@ONLY_SQLITE
def test_telegram_without_redis_is_503_saying_so(engine, tmp_path):
    container = build(settings(tmp_path, TELEGRAM_BOT_TOKEN="123456:ABC-test", TELEGRAM_WEBHOOK_SECRET=SECRET),
                      redis=None, engine=engine)
    assert container.channels.telegram is None  # the conversation lives in Redis
    with TestClient(create_app(container)) as http:
        response = http.post("/webhooks/telegram", json={"update_id": 2},
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert (response.status_code, response.json()["detail"]) == (
        503, "the Telegram channel needs Redis, which is not configured")
