"""Forged Slack requests: refused with 401 before anything runs, and nothing is ever sent because of one.

The whole web app with Slack pointed at the local Web API double (tests/doubles/slack_api.py);
a forged request is what an attacker can send with curl. The Bolt app is also driven directly,
as Socket Mode and any other caller of it would, to show its error handler acts only on
requests that came from Slack.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from tests.chat_helpers import appointments, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.slack_api import (  # noqa: F401  (fixtures)
    SIGNING_SECRET,
    sign,
    slack_api_fixture,
    slack_container_fixture,
    slack_fixture,
)

VICTIM = "U0VICTIM42"
# The attacker's request, byte for byte as curl sends it.
FORGED_BODY = json.dumps({"type": "event_callback", "event": {
    "type": "message", "channel_type": "im", "user": VICTIM, "text": "hi", "channel": "D1"}}).encode()
ONLY_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def signed_as(stamp: str, body: bytes = FORGED_BODY) -> str:
    """The right signature for a timestamp header exactly as written (Slack signs the header's text)."""
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()


def post(slack, body: bytes, headers: dict):
    return slack.http.post(slack.path, content=body, headers={"Content-Type": "application/json", **headers})


@ONLY_SQLITE
def test_the_forged_request_is_401_and_slack_is_never_called(slack, slack_api, session_factory):
    response = post(slack, FORGED_BODY, {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=dead"})
    assert response.status_code == 401 and "Slack signature" in response.json()["detail"]
    slack_api.quiet()
    assert slack_api.calls == []  # no "Sorry, something went wrong" to the victim, nor anything else
    assert appointments(session_factory) == []


def now() -> int:
    return int(time.time())


def signed_at(offset: int, secret: str = SIGNING_SECRET) -> dict:
    stamp = now() + offset
    return {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": sign(secret, FORGED_BODY, stamp)}


# Each case makes its headers when the test runs (a suite can take minutes to reach it: a "future"
# timestamp made at collection would be the present by then).
@ONLY_SQLITE
@pytest.mark.parametrize("headers", [
    pytest.param(lambda: {}, id="unsigned"),
    pytest.param(lambda: {"X-Slack-Signature": sign(SIGNING_SECRET, FORGED_BODY, now())}, id="no-timestamp"),
    pytest.param(lambda: {"X-Slack-Request-Timestamp": str(now())}, id="no-signature"),
    pytest.param(lambda: {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0="}, id="empty"),
    *(pytest.param(lambda stamp=stamp: {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=dead"},
                   id=f"timestamp-{name}")
      for name, stamp in (("letters", "abc"), ("float", "1764489600.5"), ("negative", "-1"), ("exponent", "1e9"),
                          ("huge", "9" * 5000))),
    pytest.param(lambda: signed_at(-301), id="stale"),
    pytest.param(lambda: signed_at(600), id="future"),
    pytest.param(lambda: signed_at(0, "another-apps-secret"), id="wrong-secret"),
    pytest.param(lambda: {"X-Slack-Request-Timestamp": str(now()), "X-Slack-Signature": "v1=" + "0" * 64},
                 id="wrong-scheme"),
])
def test_every_unverifiable_request_is_401_and_sends_nothing(slack, slack_api, headers):
    assert post(slack, FORGED_BODY, headers()).status_code == 401
    slack_api.quiet()
    assert slack_api.calls == []


@ONLY_SQLITE
def test_timestamps_python_reads_but_slack_never_sends_are_refused(slack, slack_api):
    # int() takes these, and a signature over them would check out: Slack only ever sends plain digits.
    for stamp in (f" {now()}", f"+{now()}", "{:_}".format(now()), str(now()).translate(str.maketrans(
            "0123456789", "٠١٢٣٤٥٦٧٨٩"))):
        headers = {"X-Slack-Request-Timestamp": stamp.encode(), "X-Slack-Signature": signed_as(stamp)}
        assert post(slack, FORGED_BODY, headers).status_code == 401, stamp
    slack_api.quiet()
    assert slack_api.calls == []


@ONLY_SQLITE
def test_a_body_that_is_not_utf8_is_refused_even_when_signed(slack, slack_api):
    body, stamp = b'{"type": "event_callback", "x": "\xff\xfe"}', str(now())
    response = post(slack, body, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signed_as(stamp, body)})
    assert response.status_code == 401
    assert slack_api.calls == []


@ONLY_SQLITE
def test_an_unsigned_megabyte_is_refused_without_its_body_reaching_the_log(slack, slack_api, caplog):
    caplog.set_level(logging.DEBUG)  # Bolt's loggers take the root's level when the app is made
    for size, refused in ((1_000_000, {401, 413}), (200_000, {401})):  # over and under the body cap
        body = json.dumps({"type": "event_callback", "event": {"type": "message", "text": "A" * size}}).encode()
        response = post(slack, body, {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"})
        assert response.status_code in refused and len(response.content) < 1000
    assert "AAAAAAAAAA" not in caplog.text and len(caplog.text) < 10_000
    assert slack_api.calls == []


@ONLY_SQLITE
def test_a_correctly_signed_request_still_works(slack, slack_api):
    assert slack.dm("U0ANA", "hello").status_code == 200
    slack_api.wait_for("chat.postMessage")


# --- The Bolt app's error handler, for whatever calls the app ------------------------------

def dispatch(app, request: AsyncBoltRequest):
    return asyncio.run(app.async_dispatch(request))


@ONLY_SQLITE
def test_the_error_handler_never_answers_a_request_that_failed_verification(slack_container, slack_api):
    # Straight to Bolt, past the route's check: Bolt's own check raises on "abc" and calls the error handler.
    app = slack_container.channels.slack  # the one Bolt app, as Socket Mode uses it
    forged = AsyncBoltRequest(body=FORGED_BODY.decode(), headers={
        "content-type": "application/json", "x-slack-request-timestamp": "abc", "x-slack-signature": "v0=dead"})
    assert dispatch(app, forged).status >= 400
    slack_api.quiet()
    assert slack_api.calls_to("chat.postMessage") == []


@ONLY_SQLITE
def test_over_socket_mode_a_failed_listener_still_says_sorry(slack_container, slack_api):
    # Socket Mode requests come over the connection Slack opened to our app token: no signature, still trusted.
    slack_api.fail("chat.postMessage", "internal_error")  # the listener's reply fails...
    event = {"type": "message", "channel_type": "im", "user": "U0ANA", "text": "hello", "channel": "D0ANA",
             "ts": f"{time.time():.6f}", "client_msg_id": "6a0d2e1c-0000-4000-8000-00000000050c"}
    payload = {"type": "event_callback", "team_id": "T0SLOTLINE", "api_app_id": "A0SLOTLINE", "event": event,
               "event_id": "Ev0SOCKETSORRY", "event_time": int(time.time()), "authorizations": [
                   {"team_id": "T0SLOTLINE", "user_id": "U0SLOTBOT", "is_bot": True}]}

    async def scenario() -> None:
        app = slack_container.channels.slack
        assert (await app.async_dispatch(AsyncBoltRequest(body=payload, mode="socket_mode"))).status == 200
        await asyncio.to_thread(slack_api.wait_for, "chat.postMessage", containing="something went wrong")

    asyncio.run(scenario())  # ...and the error handler tells the person, as over HTTP
    assert slack_api.calls_to("chat.postMessage")[-1].params["channel"] == "U0ANA"
