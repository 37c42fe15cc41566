"""Rate limits on the public web chat: a flood from one session or one address is held back with
429 and Retry-After (and a chat reply saying how long to wait), while everyone else is answered.

Counted in the test Redis by the `limits` library; the salon and clock are those of the chat
dialogues (tests/chat_helpers.py). Requests come from the addresses a TestClient is given.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
import redis
import uvicorn
from fastapi.testclient import TestClient

from config.settings import Settings
from slotline.bootstrap import build
from tests.chat_helpers import Chat, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.servers import free_port
from tests.test_webchat_page import ONLY_SQLITE, chromium, expect, open_page, say  # noqa: F401  (fixtures)
from webhooks.app import create_app
from webhooks.ratelimit import RateLimits

SLOW_DOWN = "You're sending messages faster than I can read them. Please wait"


@pytest.fixture
def make_app(engine, redis_client, clock, salon, tmp_path):
    """An app over the test salon with these settings (SLOTLINE_RATE_LIMIT_* and so on) on top of the defaults."""
    def make(**env):
        settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path), **env)
        return create_app(build(settings, redis=redis_client, engine=engine, clock=clock))
    return make


def client_at(app, ip: str) -> TestClient:
    """A browser at `ip` (the address the app sees as the request's peer)."""
    return TestClient(app, client=(ip, 50000))


def hello(client: TestClient, session: str):
    return client.post("/api/v1/chat", json={"session": session, "text": "hello"})


def test_a_burst_from_one_session_is_held_back_while_other_sessions_are_answered(make_app):
    app = make_app()  # the default limits
    with client_at(app, "203.0.113.7") as flood, client_at(app, "198.51.100.9") as elsewhere:
        answers = [hello(flood, "web-flood") for _ in range(120)]
        codes = [a.status_code for a in answers]
        assert codes[:10] == [200] * 10  # a fast typist's minute is answered in full
        assert 10 <= codes.count(200) <= 30 and set(codes[30:]) == {429}

        refused = answers[-1]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        body = refused.json()
        assert body["code"] == "rate_limited" and body["detail"]
        [reply] = body["replies"]  # the page shows it like any other answer from the assistant
        assert reply["text"].startswith(SLOW_DOWN) and reply["text"].endswith("and try again.")
        assert f"wait {refused.headers['Retry-After']} seconds" in reply["text"] and reply["choices"] == []

        assert "booking assistant" in Chat(elsewhere, "web-someone-else").say("hello")[0]["text"]  # elsewhere
        assert hello(flood, "web-neighbour").status_code == 200  # same address, under its own limit
        assert hello(flood, "web-flood").status_code == 429  # still held back


def test_many_sessions_from_one_address_are_bounded_per_address(make_app):
    app = make_app(SLOTLINE_RATE_LIMIT_CHAT_IP="5/minute")
    with client_at(app, "203.0.113.7") as script, client_at(app, "198.51.100.9") as person:
        codes = [hello(script, f"web-fresh-{n}").status_code for n in range(12)]
        assert codes == [200] * 5 + [429] * 7
        assert hello(person, "web-real-person").status_code == 200


def test_the_inbox_poll_is_bounded_too(make_app):
    app = make_app(SLOTLINE_RATE_LIMIT_INBOX="3/minute")
    with client_at(app, "203.0.113.7") as page:
        polls = [page.get("/api/v1/chat/inbox", headers={"X-Chat-Session": "web-poller"}) for _ in range(5)]
        assert [p.status_code for p in polls] == [200, 200, 200, 429, 429]
        assert polls[-1].json()["code"] == "rate_limited" and int(polls[-1].headers["Retry-After"]) >= 1
        assert page.get("/api/v1/chat/inbox", headers={"X-Chat-Session": "web-other"}).status_code == 200


def test_limits_come_from_settings_and_an_empty_one_is_off(make_app):
    app = make_app(SLOTLINE_RATE_LIMIT_CHAT="", SLOTLINE_RATE_LIMIT_CHAT_IP="")
    with client_at(app, "203.0.113.7") as script:
        assert {hello(script, "web-unlimited").status_code for _ in range(25)} == {200}
    with pytest.raises(ValueError, match="not like 20/minute"):
        Settings(SLOTLINE_RATE_LIMIT_CHAT="lots")


def test_a_limiter_whose_redis_is_unreachable_lets_requests_through_quickly(caplog):
    nobody_listens = redis.Redis(port=free_port())
    limits = RateLimits(nobody_listens, {"chat": "1/minute"})
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="webhooks.ratelimit"):
        verdicts = [limits.hit("chat", "web-a") for _ in range(50)]
    assert verdicts == [None] * 50 and time.monotonic() - started < 2
    [warning] = caplog.records  # one warning an outage, not one a request
    assert "Redis is unreachable" in warning.message


@pytest.fixture
def live_chat(make_app) -> Iterator[str]:
    """The page's own server, with a chat limit a person can reach by typing three messages."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(SLOTLINE_RATE_LIMIT_CHAT="3/minute"), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.025)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@ONLY_SQLITE
def test_the_page_shows_the_slow_down_reply_and_keeps_what_was_typed(chromium, live_chat):
    page, _posted, errors = open_page(chromium, f"{live_chat}/chat")  # its greeting is the first message
    bot = page.locator(".msg-bot")
    expect(bot).to_have_count(1)
    say(page, "hello")
    expect(bot).to_have_count(2)
    say(page, "a haircut tomorrow")  # the third message in a minute: still answered
    expect(bot).to_have_count(3)
    say(page, "with Sam please")  # one too many
    expect(bot).to_have_count(4)
    expect(bot.last).to_contain_text(SLOW_DOWN)
    expect(page.get_by_label("Your message")).to_have_value("with Sam please")  # nothing lost
    expect(page.locator(".chat-error")).to_have_count(0)
    assert not [e for e in errors if "429" not in e]  # the browser logs the 429 itself; nothing else
