"""The SMS channel end to end: Twilio's signed webhooks in, TwiML out, rows in the database.

Webhooks are built from recorded shapes (tests/payloads/twilio/) and signed with twilio-python's
own `RequestValidator.compute_signature`; outbound SMS go to a local Twilio API double. The
salon and clock are those of the chat dialogues (tests/chat_helpers.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.sms import SmsSender
from bots.sms.keywords import HELP_TEXT
from bots.sms.segments import segments
from config.settings import Settings
from core.conversation.messages import Reply
from core.db.models import ChannelIdentity, Notification, User
from core.notifications.sender import SendFailed
from slotline.bootstrap import build
from tests.chat_helpers import appointments, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.twilio_api import Phone, TwilioApiDouble, TwilioWebhooks, payload
from tests.factories import at
from webhooks.app import create_app

AUTH_TOKEN = "twilio-test-token"
PUBLIC_URL = "https://slotline.example.com"
OUR_NUMBER = "+447700900123"
ANA = "+442079460958"


def sms_settings(tmp_path: Path, api: TwilioApiDouble, **overrides) -> Settings:
    values = {"SLOTLINE_ADMIN_TOKEN": "test-token", "SLOTLINE_DATA_DIR": str(tmp_path),
              "SLOTLINE_PUBLIC_URL": PUBLIC_URL, "TWILIO_ACCOUNT_SID": api.account_sid,
              "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": OUR_NUMBER, "TWILIO_API_BASE_URL": api.base_url}
    return Settings(**{**values, **overrides})


@pytest.fixture(name="twilio_api")
def twilio_api_fixture() -> Iterator[TwilioApiDouble]:
    with TwilioApiDouble(auth_token=AUTH_TOKEN) as api:
        yield api


@pytest.fixture(name="sms_container")
def sms_container_fixture(engine, redis_client, clock, salon, tmp_path, twilio_api):
    return build(sms_settings(tmp_path, twilio_api), redis=redis_client, engine=engine, clock=clock)


@pytest.fixture(name="webhooks")
def webhooks_fixture(sms_container) -> Iterator[TwilioWebhooks]:
    with TestClient(create_app(sms_container)) as client:
        yield TwilioWebhooks(client, auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)


@pytest.fixture(name="sender")
def sender_fixture(sms_container) -> SmsSender:
    return SmsSender.from_settings(sms_container.settings, sms_container.session_factory)


class CheckedPhone(Phone):
    """A phone that also checks every answer it gets stays within two SMS segments."""

    def text(self, body: str, *, sid: str | None = None) -> list[str]:
        messages = super().text(body, sid=sid)
        assert all(segments(m) <= 2 for m in messages), messages
        return messages


def identity(session_factory, number: str) -> ChannelIdentity | None:
    with session_factory() as s:
        return s.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == "sms",
                                                      ChannelIdentity.external_id == number))


@pytest.mark.parametrize("sent_as", [ANA, "+44 20 7946 0958", "020 7946 0958"])
def test_a_whole_booking_by_sms(webhooks, session_factory, salon, sent_as):
    phone = CheckedPhone(webhooks, sent_as)
    phone.text("a haircut with Sam tomorrow after 4")
    assert "Haircut with Sam tomorrow (Tue 1 Dec) (London time)" in phone.said
    assert "1) 16:00\n2) 16:15\n" in phone.said and phone.said.endswith("Reply with a number.")
    phone.pick("16:00")
    assert "with Sam, tomorrow (Tue 1 Dec) at 16:00 London time. Shall I book it?" in phone.said
    assert "1) Yes, book it" in phone.said
    phone.text("YES")  # also an opt-in word, but here it answers the question
    assert "What name" in phone.said
    phone.text("Ana Souza")
    [row] = appointments(session_factory)
    assert (row.provider_id, row.service_id, row.start_at, row.status, row.channel) == (
        salon.sam, salon.haircut, at("Europe/London", 2026, 12, 1, 16), "confirmed", "sms")
    assert f"Your confirmation code is {row.confirmation_code}" in phone.said
    with session_factory() as s:
        client = s.get(User, row.client_id)
        assert (client.name, client.phone) == ("Ana Souza", ANA)
    assert identity(session_factory, ANA).user_id == row.client_id


def test_a_bare_number_picks_the_numbered_line(webhooks):
    phone = CheckedPhone(webhooks, ANA)
    phone.text("haircut with Sam on Wednesday")
    lines = [line for line in phone.said.splitlines() if ") " in line]
    assert lines[0] == "1) 09:00" and lines[-1] == "7) Another day"
    phone.text("7")
    assert "Which day would suit you better?" in phone.said


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", None])
def test_a_forged_or_missing_signature_is_refused(webhooks, session_factory, signature):
    form = {"From": ANA, "To": OUR_NUMBER, "Body": "haircut tomorrow", "MessageSid": "SMforged"}
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    assert webhooks.client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code == 403
    assert webhooks.client.post("/webhooks/twilio/status", data=form, headers=headers).status_code == 403
    assert identity(session_factory, ANA) is None


def test_a_signature_for_another_body_or_url_is_refused(webhooks):
    form = {"From": ANA, "To": OUR_NUMBER, "Body": "haircut tomorrow", "MessageSid": "SMtampered"}
    good = webhooks.sign("/webhooks/twilio/sms", form)
    assert webhooks.post("/webhooks/twilio/sms", {**form, "Body": "STOP"}, signature=good).status_code == 403
    assert webhooks.post("/webhooks/twilio/status", form, signature=good).status_code == 403
    other_host = TwilioWebhooks(webhooks.client, auth_token=AUTH_TOKEN, public_url="http://testserver")
    assert other_host.post("/webhooks/twilio/sms", form).status_code == 403
    assert webhooks.post("/webhooks/twilio/sms", form, signature=good).status_code == 200


@pytest.mark.parametrize("unset", ["SLOTLINE_PUBLIC_URL", "TWILIO_AUTH_TOKEN"])
def test_without_public_url_or_auth_token_every_webhook_is_refused(engine, redis_client, clock, salon, tmp_path,
                                                                   twilio_api, unset):
    container = build(sms_settings(tmp_path, twilio_api, **{unset: None}), redis=redis_client, engine=engine,
                      clock=clock)
    with TestClient(create_app(container)) as client:
        signed = TwilioWebhooks(client, auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)
        assert signed.post("/webhooks/twilio/sms", {"From": ANA, "MessageSid": "SM1", "Body": "hi"}).status_code == 403


def test_a_retried_webhook_is_answered_once(webhooks, session_factory):
    phone = CheckedPhone(webhooks, ANA)
    assert phone.text("haircut with Sam tomorrow after 4", sid="SMretried")
    assert phone.text("haircut with Sam tomorrow after 4", sid="SMretried") == []
    assert phone.response.text.endswith("<Response />")
    assert phone.text("help", sid="SMhelp") and phone.text("help", sid="SMhelp") == []


def test_a_malformed_webhook_is_a_400(webhooks):
    assert webhooks.post("/webhooks/twilio/sms", {"Body": "hi", "MessageSid": "SM1"}).status_code == 400
    assert webhooks.post("/webhooks/twilio/sms", {"From": "not a number", "MessageSid": "SM2"}).status_code == 400
    assert webhooks.post("/webhooks/twilio/status", {"MessageSid": "SM3"}).status_code == 400


def test_stop_opts_out_and_nothing_is_sent_until_start(webhooks, sender, twilio_api, session_factory):
    phone = CheckedPhone(webhooks, ANA)
    assert phone.text(" stop ") == []  # Twilio answers STOP itself
    assert identity(session_factory, ANA).opted_out is True
    with pytest.raises(SendFailed) as refused:
        sender.send(ANA, Reply("Reminder: your haircut is tomorrow at 16:00."))
    assert refused.value.permanent and twilio_api.calls == []
    assert phone.text("haircut tomorrow") == [] and phone.text("HELP") == []  # no answer to an opted-out number
    assert phone.text("START") == []
    assert identity(session_factory, ANA).opted_out is False
    assert sender.send(ANA, Reply("Reminder: your haircut is tomorrow at 16:00.")).startswith("SM")
    assert [call.form["To"] for call in twilio_api.calls] == [ANA]


def test_every_default_opt_out_word_opts_out_and_every_opt_in_word_opts_back_in(webhooks, session_factory):
    opt_out = ["STOPALL", "unsubscribe", "Cancel", "END", "quit", "REVOKE", "optout"]
    opt_in = ["START", "yes", "UNSTOP", "optin", "start", "YES", "Unstop"]
    for n, (stop, start) in enumerate(zip(opt_out, opt_in)):
        phone = CheckedPhone(webhooks, f"+4479460000{n:02d}")
        assert phone.text(stop) == [] and identity(session_factory, phone.number).opted_out is True, stop
        assert phone.text(start) == [] and identity(session_factory, phone.number).opted_out is False, start


def test_stop_from_a_known_client_marks_their_own_identity(webhooks, session_factory):
    phone = CheckedPhone(webhooks, ANA)
    phone.text("a haircut with Sam tomorrow after 4")  # a client once they have booked
    phone.pick("16:00")
    phone.text("1")
    phone.text("Ana")
    before = identity(session_factory, ANA)
    phone.text("STOP")
    after = identity(session_factory, ANA)
    assert (after.id, after.user_id, after.opted_out) == (before.id, before.user_id, True)


def test_cancel_in_a_sentence_is_a_cancel_request_not_an_opt_out(webhooks, session_factory):
    phone = CheckedPhone(webhooks, ANA)
    phone.text("a haircut with Sam tomorrow after 4")
    phone.pick("16:00")
    phone.text("1")
    phone.text("Ana")
    phone.text("cancel my haircut")
    assert "Cancel your Haircut with Sam" in phone.said and identity(session_factory, ANA).opted_out is False
    phone.pick("Yes, cancel")
    assert [a.status for a in appointments(session_factory)] == ["cancelled"]


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_is_answered_with_how_to_text_us(webhooks, word):
    [answer] = CheckedPhone(webhooks, ANA).text(word)
    assert answer == HELP_TEXT
    assert "STOP" in answer and "cancel my haircut" in answer and "Reply CANCEL" not in answer


def notification_sent_as(session_factory, sid: str, status: str = "sent") -> int:
    with session_factory() as s:
        row = Notification(channel="sms", kind="reminder", dedupe_key=f"test:{sid}", status=status, external_id=sid)
        s.add(row)
        s.commit()
        return row.id


def status_of(session_factory, notification_id: int) -> tuple[str, str | None]:
    with session_factory() as s:
        row = s.get(Notification, notification_id)
        return row.status, row.error


def test_a_status_callback_is_recorded_on_its_notification(webhooks, session_factory):
    report = payload("status_callback_undelivered")
    row = notification_sent_as(session_factory, report["MessageSid"])
    assert webhooks.post("/webhooks/twilio/status", report).status_code == 200
    assert status_of(session_factory, row) == ("undelivered", "Twilio error 30003: unreachable handset")
    delivered = notification_sent_as(session_factory, "SMdelivered", status="queued")
    for state in ("sent", "delivered", "sent"):  # the late "sent" must not undo "delivered"
        form = {**report, "MessageSid": "SMdelivered", "SmsSid": "SMdelivered", "MessageStatus": state,
                "SmsStatus": state, "ErrorCode": ""}
        assert webhooks.post("/webhooks/twilio/status", form).status_code == 200
    assert status_of(session_factory, delivered) == ("delivered", None)


def test_a_status_callback_for_an_unknown_message_or_status_is_still_a_200(webhooks, session_factory):
    report = payload("status_callback_undelivered")
    assert webhooks.post("/webhooks/twilio/status", {**report, "MessageSid": "SMnotours"}).status_code == 200
    row = notification_sent_as(session_factory, report["MessageSid"])
    assert webhooks.post("/webhooks/twilio/status", {**report, "MessageStatus": "teleported"}).status_code == 200
    assert status_of(session_factory, row) == ("sent", None)
