"""`SmsSender` against the local Twilio API double: the wire format, opt-outs and error mapping."""
from __future__ import annotations

import pytest

from bots.sms import OptOuts, SmsSender
from bots.sms.sender import BaseUrlHttpClient
from core.booking import setup_writes
from core.conversation.messages import Choice, Reply
from core.db.session import UnitOfWork
from core.notifications.sender import Outbox, SendFailed
from tests.chat_helpers import clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.twilio_api import TwilioApiDouble
from tests.test_sms import (  # noqa: F401  (fixtures)
    ANA, OUR_NUMBER, PUBLIC_URL, sender_fixture, sms_container_fixture, twilio_api_fixture,
)

REMINDER = Reply("Reminder: Haircut with Sam tomorrow at 16:00 London time.",
                 (Choice("Keep it", "keep"), Choice("Move it", "move")))


def test_sends_the_rendered_reply_with_the_fields_twilio_expects(sender, twilio_api):
    sid = sender.send(ANA, REMINDER)
    [call] = twilio_api.calls
    assert call.authorized and call.path == f"/2010-04-01/Accounts/{twilio_api.account_sid}/Messages.json"
    assert call.form == {"To": ANA, "From": OUR_NUMBER, "StatusCallback": f"{PUBLIC_URL}/webhooks/twilio/status",
                         "Body": "Reminder: Haircut with Sam tomorrow at 16:00 London time.\n"
                                 "1) Keep it\n2) Move it\nReply with a number."}
    assert sid.startswith("SM") and len(sid) == 34


def test_without_a_public_url_no_status_callback_is_asked_for(sms_container, twilio_api):
    settings = sms_container.settings.model_copy(update={"public_url": None})
    SmsSender.from_settings(settings, sms_container.session_factory).send(ANA, Reply("Hello"))
    assert "StatusCallback" not in twilio_api.calls[0].form


def test_no_sender_without_twilio_credentials(sms_container):
    settings = sms_container.settings.model_copy(update={"twilio_auth_token": None})
    assert SmsSender.from_settings(settings, sms_container.session_factory) is None


def test_an_opted_out_number_is_refused_without_calling_twilio(sender, twilio_api, session_factory):
    OptOuts(session_factory).set(ANA, True)
    with pytest.raises(SendFailed) as refused:
        sender.send(ANA, REMINDER)
    assert refused.value.permanent and twilio_api.calls == []


@pytest.mark.parametrize("code", [21211, 21614])
def test_an_invalid_number_is_a_permanent_failure(sender, twilio_api, code):
    twilio_api.fail_with(code)
    with pytest.raises(SendFailed, match=str(code)) as failed:
        sender.send(ANA, REMINDER)
    assert failed.value.permanent and len(twilio_api.calls) == 1


def test_twilios_unsubscribed_answer_is_permanent_and_remembered(sender, twilio_api, session_factory):
    twilio_api.fail_with(21610, message="Attempt to send to unsubscribed recipient")
    with pytest.raises(SendFailed) as failed:
        sender.send(ANA, REMINDER)
    assert failed.value.permanent and OptOuts(session_factory).is_opted_out(ANA)
    twilio_api.reset()
    with pytest.raises(SendFailed):
        sender.send(ANA, REMINDER)
    assert twilio_api.calls == []  # our own record now refuses first


@pytest.mark.parametrize(("status", "code"), [(500, 0), (503, 20503), (429, 20429), (401, 20003)])
def test_server_errors_rate_limits_and_bad_credentials_may_be_retried(sender, twilio_api, status, code):
    twilio_api.fail_with(code, status=status)
    with pytest.raises(SendFailed) as failed:
        sender.send(ANA, REMINDER)
    assert failed.value.permanent is False


def test_a_timeout_or_unreachable_api_may_be_retried(sms_container, twilio_api):
    sender = SmsSender(account_sid=twilio_api.account_sid, auth_token=twilio_api.auth_token, from_number=OUR_NUMBER,
                       session_factory=sms_container.session_factory, api_base_url=twilio_api.base_url, timeout=0.2)
    twilio_api.respond_after(0.6)
    with pytest.raises(SendFailed) as slow:
        sender.send(ANA, REMINDER)
    assert slow.value.permanent is False
    with TwilioApiDouble() as gone:
        base_url = gone.base_url
    unreachable = SmsSender(account_sid="AC1", auth_token="t", from_number=OUR_NUMBER,
                            session_factory=sms_container.session_factory, api_base_url=base_url, timeout=0.5)
    with pytest.raises(SendFailed) as refused:
        unreachable.send(ANA, REMINDER)
    assert refused.value.permanent is False


def test_the_outbox_sends_to_a_client_over_their_sms_identity(sender, twilio_api, session_factory):
    with UnitOfWork(session_factory, write=True) as uow:
        user = setup_writes.create_user(uow.session, name="Ana", phone=ANA)
        setup_writes.link_identity(uow.session, user_id=user.id, channel="sms", external_id=ANA)
        uow.commit()
    channel, sid = Outbox(session_factory, {"sms": sender}).send_to_user(user.id, Reply("See you soon"))
    assert (channel, twilio_api.calls[0].form["To"], sid[:2]) == ("sms", ANA, "SM")


@pytest.mark.parametrize(("base", "expected"), [
    ("http://127.0.0.1:8099", "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json"),
    ("http://proxy.local/twilio/", "http://proxy.local/twilio/2010-04-01/Accounts/AC1/Messages.json"),
])
def test_the_http_client_moves_api_twilio_com_to_the_base_url(base, expected):
    client = BaseUrlHttpClient(base)
    assert client.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json") == expected
    assert client.rewrite("https://example.com/x") == "https://example.com/x"
