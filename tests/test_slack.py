"""Slack, the client side: a whole booking by direct message, from signed Events API and
block_actions requests to the Web API calls the double records and the appointment row.

The clock is Monday 30 November 2026, 08:00 in London (tests/factories.py).
"""
from __future__ import annotations

import json
import time

from sqlalchemy import select

from core.db.models import ChannelIdentity
from tests.chat_helpers import appointments, clock_fixture, salon_fixture, user_named  # noqa: F401  (fixtures)
from tests.doubles.slack_api import (  # noqa: F401  (fixtures)
    sample,
    slack_api_fixture,
    slack_container_fixture,
    slack_fixture,
)
from tests.factories import at

ANA = "U0ANA"


def test_a_whole_booking_by_direct_message(slack, slack_api, session_factory, salon):
    assert slack.dm(ANA, "a haircut with Sam tomorrow after 4").status_code == 200
    offer = slack_api.wait_for("chat.postMessage", containing="Haircut with Sam tomorrow (Tue 1 Dec)")
    assert offer.params["channel"] == "D0ANA"
    assert [b["text"]["text"] for b in offer.buttons()][:2] == ["16:00", "16:15"]
    assert {b["action_id"] for b in offer.buttons()} >= {"slotline_choice_0", "slotline_choice_1"}

    assert slack.click(ANA, offer, "16:00").status_code == 200
    spent = slack_api.wait_for("chat.update", where=lambda c: c.params["ts"] == offer.result["ts"])
    assert "You picked *16:00*" in spent.text and not spent.buttons()  # the old buttons are gone
    question = slack_api.wait_for("chat.postMessage", containing="Shall I book it?")
    slack.click(ANA, question, "Yes")
    slack_api.wait_for("chat.postMessage", containing="What name")
    slack.dm(ANA, "Ana Souza")
    booked = slack_api.wait_for("chat.postMessage", containing="Your confirmation code is")

    [row] = appointments(session_factory)
    assert (row.provider_id, row.service_id, row.start_at, row.status, row.channel) == (
        salon.sam, salon.haircut, at("Europe/London", 2026, 12, 1, 16), "confirmed", "slack")
    assert row.confirmation_code in booked.text
    ana = user_named(session_factory, "Ana Souza")
    with session_factory() as s:
        identity = s.scalar(select(ChannelIdentity).where(ChannelIdentity.user_id == ana.id))
    assert (identity.channel, identity.external_id, ana.id) == ("slack", ANA, row.client_id)


def test_pressing_a_used_button_again_books_nothing_more(slack, slack_api, session_factory):
    slack.dm(ANA, "a haircut with Sam tomorrow at 10")  # free: straight to "Shall I book it?"
    question = slack_api.wait_for("chat.postMessage", containing="Shall I book it?")
    slack.click(ANA, question, "Yes")
    slack_api.wait_for("chat.postMessage", containing="What name")
    slack.dm(ANA, "Ana")
    slack_api.wait_for("chat.postMessage", containing="Your confirmation code")
    slack.click(ANA, question, "Yes")  # a stale client still shows the old message
    slack_api.quiet()
    assert len(appointments(session_factory)) == 1


def test_slack_gets_its_answer_before_the_slow_work_is_done(slack, slack_api):
    slack.dm(ANA, "hello")  # the first request also fetches auth.test; time the second one
    slack_api.wait_for("chat.postMessage")
    slack_api.delays["chat.postMessage"] = 2.0
    started = time.monotonic()
    assert slack.dm(ANA, "a haircut with Sam tomorrow after 4").status_code == 200
    assert time.monotonic() - started < 1.5  # acknowledged first: Slack waits at most 3 seconds
    slack_api.wait_for("chat.postMessage", containing="Haircut with Sam tomorrow")


def test_forged_and_stale_signatures_are_refused_before_anything_runs(slack, slack_api, session_factory):
    body = json.dumps(sample("message_im.json")).encode()
    forged = slack.post(body, "application/json", secret="not-the-signing-secret")
    stale = slack.post(body, "application/json", timestamp=int(time.time()) - 600)
    unsigned = slack.http.post(slack.path, content=body, headers={"Content-Type": "application/json"})
    assert (forged.status_code, stale.status_code, unsigned.status_code) == (401, 401, 401)
    time.sleep(0.3)
    assert slack_api.calls == []  # not even auth.test: verification comes first
    assert appointments(session_factory) == []


def test_a_retried_event_is_answered_once(slack, slack_api):
    first = slack.dm(ANA, "hello", msg_id="6a0d2e1c-0000-4000-8000-000000000001", event_id="Ev0RETRY")
    retry = slack.dm(ANA, "hello", msg_id="6a0d2e1c-0000-4000-8000-000000000001", event_id="Ev0RETRY", retry=1)
    assert (first.status_code, retry.status_code) == (200, 200)
    slack_api.wait_for("chat.postMessage")
    slack_api.quiet()
    assert len(slack_api.calls_to("chat.postMessage")) == 1


def test_url_verification_is_answered(slack, slack_api):
    response = slack.post(json.dumps(sample("url_verification.json")).encode(), "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": sample("url_verification.json")["challenge"]}


def test_edits_and_bot_messages_are_acknowledged_and_never_answered(slack, slack_api):
    for name in ("message_changed.json", "bot_message.json"):
        response = slack.event(sample(name)["event"])
        assert response.status_code == 200, name
    own = sample("message_im.json")["event"] | {"user": "U0SLOTBOT", "bot_id": "B0SLOTBOT"}
    assert slack.event(own).status_code == 200
    slack_api.quiet()
    assert slack_api.calls_to("chat.postMessage") == []


def test_a_correctly_signed_malformed_body_is_not_a_server_error(slack, slack_api):
    response = slack.post(b"{not json", "application/json")
    assert 400 <= response.status_code < 500
