"""Rate limits on the platform webhooks: one person flooding Telegram, SMS or Slack is bounded (the
conversation is not run past the limit, and they are told once to slow down), the platform always
gets its 200 so it does not retry, and a forged request neither sends anything nor spends anyone's
allowance. Platforms are the local doubles of tests/doubles/.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.telegram.inbound import SECRET_HEADER
from config.settings import Settings
from core.db.models import ChannelIdentity
from slotline.bootstrap import build
from tests.chat_helpers import clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.slack_api import BOT_TOKEN, SIGNING_SECRET, SlackWorkspace, dm_channel
from tests.doubles.slack_api import slack_api_fixture  # noqa: F401  (fixture)
from tests.doubles.telegram_api import TelegramAPI, TelegramPerson
from tests.doubles.twilio_api import Phone, TwilioApiDouble, TwilioWebhooks
from tests.test_sms import AUTH_TOKEN, PUBLIC_URL, sms_settings, twilio_api_fixture  # noqa: F401  (fixture)
from tests.test_telegram import SECRET, api_fixture, telegram_settings  # noqa: F401  (fixture)
from webhooks.app import create_app

SLOW_DOWN = "You're sending messages faster than I can read them. Please wait"
FIVE_A_MINUTE = {"SLOTLINE_RATE_LIMIT_SENDER": "5/minute"}


@pytest.fixture
def telegram_web(engine, redis_client, clock, salon, tmp_path, api: TelegramAPI):
    container = build(telegram_settings(api, tmp_path, **FIVE_A_MINUTE), redis=redis_client, engine=engine, clock=clock)
    app = create_app(container)
    with TestClient(app) as client:
        yield client
    container.close()  # the Telegram sender's thread with it


def sent_to(api: TelegramAPI, person: TelegramPerson) -> list[dict]:
    return [p for p in api.params("sendMessage") if int(p["chat_id"]) == person.user_id]


def test_a_telegram_flood_from_one_person_is_bounded(telegram_web, api):
    ana, bo = TelegramPerson(5550001, "Ana"), TelegramPerson(5550002, "Bo")
    post = lambda update: telegram_web.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: SECRET})
    answers = [post(ana.message(f"hello {n}")) for n in range(30)]
    assert {a.status_code for a in answers} == {200}  # Telegram is never made to retry
    answered = len(sent_to(api, ana))
    assert 5 <= answered <= 10  # five turns, a reply or two each; none for the 25 after

    notices = [a.json() for a in answers[5:] if a.json().get("method") == "sendMessage"]
    assert len(notices) == 1  # told once, in the webhook's own answer (no Bot API call of ours)
    assert notices[0]["chat_id"] == ana.user_id and notices[0]["text"].startswith(SLOW_DOWN)
    assert all(a.json() == {"ok": True} for a in answers[6:])

    post(bo.message("hello"))
    assert sent_to(api, bo)  # someone else is answered as usual
    assert len(sent_to(api, ana)) == answered


def test_a_forged_telegram_update_sends_nothing_and_spends_nobodys_allowance(telegram_web, api):
    bo = TelegramPerson(5550002, "Bo")
    for n in range(10):
        forged = telegram_web.post("/webhooks/telegram", json=bo.message(f"hi {n}"), headers={SECRET_HEADER: "guess"})
        assert forged.status_code == 403
    assert api.calls == []
    answer = telegram_web.post("/webhooks/telegram", json=bo.message("hello"), headers={SECRET_HEADER: SECRET})
    assert answer.json() == {"ok": True} and sent_to(api, bo)


@pytest.fixture
def twilio(engine, redis_client, clock, salon, tmp_path, twilio_api: TwilioApiDouble):
    settings = sms_settings(tmp_path, twilio_api, **FIVE_A_MINUTE)
    with TestClient(create_app(build(settings, redis=redis_client, engine=engine, clock=clock))) as client:
        yield TwilioWebhooks(client, auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)


def test_an_sms_flood_from_one_number_is_bounded_and_stop_still_works(twilio, twilio_api, session_factory):
    flood, other = Phone(twilio, "+442079460958"), Phone(twilio, "+442079460959")
    said = [flood.text(f"hello {n}") for n in range(20)]  # each answer is a 200 with TwiML
    assert all(said[:5]) and said[5] == [said[5][0]] and said[5][0].startswith(SLOW_DOWN)
    assert said[6:] == [[]] * 14  # nothing more: the conversation is not run, and the notice is not repeated

    assert other.text("hello")  # another number is answered as usual
    assert flood.text("STOP") == []  # an opt-out is recorded even past the limit
    with session_factory() as s:
        assert s.scalar(select(ChannelIdentity.opted_out).where(ChannelIdentity.external_id == flood.number))
    assert twilio_api.calls == []  # every answer went back in TwiML


def test_a_forged_sms_is_refused_before_anything_is_answered(twilio, twilio_api):
    phone = Phone(twilio, "+442079460958")
    form = {"From": phone.number, "To": "+447700900123", "Body": "hello", "MessageSid": "SM" + "f" * 32}
    for _ in range(10):
        forged = twilio.post("/webhooks/twilio/sms", form, signature="bm90IFR3aWxpbydz")
        assert forged.status_code == 403 and "<Message>" not in forged.text
    assert twilio_api.calls == []
    assert phone.text("hello")  # the forgeries spent none of this number's allowance


def test_webhooks_from_one_address_are_bounded_loosely(engine, redis_client, clock, salon, tmp_path, twilio_api):
    settings = sms_settings(tmp_path, twilio_api, SLOTLINE_RATE_LIMIT_WEBHOOK_IP="3/minute")
    app = create_app(build(settings, redis=redis_client, engine=engine, clock=clock))
    with TestClient(app, client=("203.0.113.7", 443)) as client:
        hooks = TwilioWebhooks(client, auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)
        form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
        codes = [hooks.post("/webhooks/twilio/status", form).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


@pytest.fixture
def slack(engine, redis_client, clock, salon, tmp_path, slack_api):
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path), SLACK_BOT_TOKEN=BOT_TOKEN,
                        SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_BASE_URL=slack_api.url, **FIVE_A_MINUTE)
    with TestClient(create_app(build(settings, redis=redis_client, engine=engine, clock=clock))) as http:
        yield SlackWorkspace(http, SIGNING_SECRET, slack_api)


def test_a_slack_flood_from_one_user_is_bounded(slack, slack_api):
    posted = lambda user: [c for c in slack_api.calls_to("chat.postMessage") if c.params["channel"] == dm_channel(user)]
    assert {slack.dm("U0FLOOD", f"hello {n}").status_code for n in range(5)} == {200}
    slack_api.quiet()
    answered = len(posted("U0FLOOD"))
    assert answered >= 5
    assert {slack.dm("U0FLOOD", f"hello again {n}").status_code for n in range(10)} == {200}  # no retries
    command = slack.command("U0FLOOD", "/agenda")
    assert command.status_code == 200 and command.text.startswith(SLOW_DOWN)  # shown to that user only
    slack.dm("U0OTHER", "hello")
    slack_api.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == dm_channel("U0OTHER"))
    slack_api.quiet()
    assert len(posted("U0FLOOD")) == answered


def test_forged_slack_requests_naming_someone_spend_none_of_their_allowance(slack, slack_api):
    for n in range(10):
        assert slack.dm("U0VICTIM", f"hello {n}", secret="not-the-signing-secret").status_code == 401
    assert slack_api.calls == []
    slack.dm("U0VICTIM", "hello")
    slack_api.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == dm_channel("U0VICTIM"))
