"""Slack outbound and the other ways in: `SlackSender` against the Web API double, the email
sweep that links providers, Socket Mode over a real local WebSocket, and an unconfigured app.
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from slack_sdk import WebClient
from websockets.asyncio.server import serve

import bots.slack
from bots.slack import SlackSender, socket_mode_handler
from core.booking.provider_day import ProviderDay
from bots.slack.provider_listeners import link_providers_by_email
from core.conversation.messages import Choice, Reply
from core.db.models import Provider
from core.db.session import UnitOfWork
from core.notifications.sender import Outbox, SendFailed
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    clock_fixture,
    container_fixture,
    salon_fixture,
    web_fixture,
)
from tests.doubles.slack_api import (  # noqa: F401  (fixtures)
    BOT_TOKEN,
    SlackApiDouble,
    sample,
    slack_api_fixture,
    slack_container_fixture,
)
from tests.servers import free_port
from webhooks.app import create_app

REPLY = Reply("Shall I book it?", (Choice("Yes", "yes"), Choice("No", "no")))


def sender_for(url: str) -> SlackSender:
    return SlackSender(WebClient(token=BOT_TOKEN, base_url=url, timeout=2))


def test_sender_opens_a_dm_and_posts_the_reply_with_buttons(slack_api):
    ts = sender_for(slack_api.url).send("U0ANA", REPLY)
    opened, posted = slack_api.calls
    assert (opened.method, opened.params["users"]) == ("conversations.open", "U0ANA")
    assert (posted.method, posted.params["channel"], posted.result["ts"]) == ("chat.postMessage", "D0ANA", ts)
    assert posted.params["text"] == "Shall I book it?"
    assert [(b["text"]["text"], b["value"], b["action_id"]) for b in posted.buttons()] == [
        ("Yes", "yes", "slotline_choice_0"), ("No", "no", "slotline_choice_1")]


@pytest.mark.parametrize("method, error", [("conversations.open", "user_not_found"),
                                           ("chat.postMessage", "account_inactive")])
def test_a_person_slack_cannot_reach_is_a_permanent_failure(slack_api, method, error):
    slack_api.fail(method, error)
    with pytest.raises(SendFailed, match=error) as failed:
        sender_for(slack_api.url).send("U0GONE", REPLY)
    assert failed.value.permanent is True


def test_a_rate_limit_is_waited_out(slack_api):
    slack_api.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    assert sender_for(slack_api.url).send("U0ANA", REPLY)
    assert time.monotonic() - started >= 1
    assert len(slack_api.calls_to("chat.postMessage")) == 2  # refused once, then sent


def test_slack_down_is_a_failure_worth_retrying():
    with pytest.raises(SendFailed) as failed:
        sender_for(f"http://127.0.0.1:{free_port()}/api/").send("U0ANA", REPLY)
    assert failed.value.permanent is False


def test_the_email_sweep_links_providers_to_their_slack_users(slack_container, slack_api, salon, session_factory):
    with UnitOfWork(session_factory, write=True) as uow:
        uow.session.get(Provider, salon.sam).email = "sam@salon.example"
        uow.session.get(Provider, salon.alex).email = "alex@salon.example"
        uow.commit()
    slack_api.add_user("U0SAM", name="Sam Smith", email="SAM@salon.example")
    desk = ProviderDay(slack_container.booking, session_factory, Outbox(session_factory, {}),
                       clock=slack_container.clock)
    linked = asyncio.run(link_providers_by_email(slack_container.channels.slack.client, desk))
    assert linked == 1
    with session_factory() as s:
        assert (s.get(Provider, salon.sam).slack_user_id, s.get(Provider, salon.alex).slack_user_id) == ("U0SAM", None)
    assert sorted(c.params["email"] for c in slack_api.calls_to("users.lookupByEmail")) == [
        "alex@salon.example", "sam@salon.example"]


def test_socket_mode_runs_the_same_listeners(slack_container, slack_api):
    slack_container.settings.slack_app_token = "xapp-1-A0SLOTLINE-1-socketmodetest"
    envelope = {"envelope_id": "e0c9f2d4-socket-1", "type": "events_api", "accepts_response_payload": False,
                "retry_attempt": 0, "retry_reason": "",
                "payload": sample("message_im.json") | {"event": sample("message_im.json")["event"] | {
                    "user": "U0ANA", "channel": "D0ANA", "text": "a haircut with Sam tomorrow after 4"}}}

    async def scenario() -> dict:
        acks: asyncio.Queue = asyncio.Queue()

        async def slack_side(websocket) -> None:
            await websocket.send(json.dumps({"type": "hello", "num_connections": 1,
                                             "connection_info": {"app_id": "A0SLOTLINE"}}))
            await websocket.send(json.dumps(envelope))
            async for message in websocket:
                await acks.put(json.loads(message))

        async with serve(slack_side, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            slack_api.canned["apps.connections.open"] = {"ok": True, "url": f"ws://127.0.0.1:{port}/link"}
            handler = socket_mode_handler(slack_container.channels.slack, slack_container.settings.slack_app_token)
            await handler.connect_async()
            try:
                ack = await asyncio.wait_for(acks.get(), 10)
                await asyncio.to_thread(slack_api.wait_for, "chat.postMessage", containing="Haircut with Sam")
            finally:
                await handler.close_async()
            return ack

    assert asyncio.run(scenario())["envelope_id"] == "e0c9f2d4-socket-1"
    assert slack_api.calls_to("apps.connections.open")[0].method == "apps.connections.open"
    assert slack_api.wait_for("chat.postMessage").params["channel"] == "D0ANA"


def test_socket_mode_without_an_app_token_says_what_is_missing(slack_container):
    with pytest.raises(RuntimeError, match="SLACK_APP_TOKEN"):
        socket_mode_handler(slack_container.channels.slack, slack_container.settings.slack_app_token)


def test_the_route_without_slack_settings_is_unavailable_not_broken(container):
    with TestClient(create_app(container)) as http:
        response = http.post("/webhooks/slack/events", json=sample("url_verification.json"))
    assert response.status_code == 503 and "SLACK_SIGNING_SECRET" in response.json()["detail"]


def test_the_app_manifest_asks_slack_for_what_the_app_listens_to():
    manifest = yaml.safe_load((Path(bots.slack.__file__).parent / "manifest.yaml").read_text())
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    settings = manifest["settings"]
    assert commands == {"/agenda", "/block"}
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_home_opened", "message.im"}
    urls = [c["url"] for c in manifest["features"]["slash_commands"]] + [
        settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert all(url.endswith("/webhooks/slack/events") for url in urls)
    assert {"chat:write", "commands", "im:history", "im:write", "users:read.email"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])
