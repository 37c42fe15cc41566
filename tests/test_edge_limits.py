"""The HTTP edges themselves: bodies are capped (413, with a small answer, whether the size is declared
or the body is streamed without one), a validation error names the field without repeating what
was sent, and `X-Forwarded-For` is believed only from SLOTLINE_TRUSTED_PROXIES.
"""
from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from slotline.bootstrap import build
from tests.chat_helpers import clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.test_rate_limits import make_app  # noqa: F401  (fixture)
from webhooks.app import create_app

AUTH = {"Authorization": "Bearer test-token"}
TWO_MB = 2 * 1024 * 1024


@pytest.fixture
def web(make_app):
    with TestClient(make_app()) as client:
        yield client


def chat_body(size: int) -> bytes:
    return json.dumps({"session": "web-big", "text": "x" * size}).encode()


def assert_too_large(response) -> None:
    assert response.status_code == 413
    assert len(response.content) < 1024
    assert response.json()["code"] == "body_too_large" and "too large" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/chat", "/webhooks/telegram", "/webhooks/twilio/sms",
                                  "/webhooks/slack/events", "/api/v1/services"])
def test_a_two_megabyte_body_is_refused_with_a_small_answer(web, path):
    assert_too_large(web.post(path, content=chat_body(TWO_MB), headers={**AUTH, "Content-Type": "application/json"}))


def test_a_streamed_body_without_a_length_is_counted_and_refused(web):
    def chunks():
        body = chat_body(TWO_MB)
        for start in range(0, len(body), 16 * 1024):
            yield body[start:start + 16 * 1024]

    response = web.post("/api/v1/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert_too_large(response)
    assert "content-length" not in {k.lower() for k in response.request.headers}


def test_the_chat_and_webhooks_take_64_kb_and_the_rest_of_the_api_more(web):
    assert web.post("/api/v1/chat", content=chat_body(60 * 1024),
                    headers={"Content-Type": "application/json"}).status_code == 422  # too long a text, not a 413
    assert_too_large(web.post("/api/v1/chat", content=chat_body(70 * 1024), headers={"Content-Type": "application/json"}))
    assert_too_large(web.post("/webhooks/twilio/sms", content=b"Body=" + b"x" * 70 * 1024))
    # A Slack App Home button carries the whole view: Slack gets more room (then its signature is checked).
    assert web.post("/webhooks/slack/events", content=b"payload=" + b"x" * 100 * 1024).status_code != 413
    big_service = {"name": "Colour", "duration": 60, "description": "y" * 200 * 1024}
    assert web.post("/api/v1/services", json=big_service, headers=AUTH).status_code == 422  # read, then refused


def test_a_validation_error_names_the_field_without_repeating_the_value(web):
    unique = uuid.uuid4().hex * 320  # 10 KB nobody else would send
    cases = [
        ("/api/v1/chat", {"session": "web-a", "text": "hi", "choice": unique}, "choice"),  # too long
        ("/api/v1/chat", {"session": unique, "text": "hi"}, "session"),  # does not match the pattern
        ("/api/v1/chat", {"session": "web-a", "text": "hi", unique: 1}, None),  # an unknown field
        ("/api/v1/services", {"name": "Cut", "duration": unique}, "duration"),  # not a number
        ("/api/v1/users", {"name": "Ana", "role": unique}, "role"),  # not one of the roles
        ("/api/v1/users", {"name": "Ana", "role": "client", "timezone": unique[:60]}, "timezone"),
    ]
    for path, body, field in cases:
        response = web.post(path, json=body, headers=AUTH)
        assert response.status_code == 422, response.text
        assert unique[:60] not in response.text and len(response.content) < 2048, (path, response.text[:300])
        answer = response.json()
        assert answer["code"] == "validation_error"
        assert field is None or f"{field}:" in answer["detail"]
        assert all(set(err) == {"loc", "msg", "type"} for err in answer["errors"])


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(make_app):
    app = make_app(SLOTLINE_RATE_LIMIT_CHAT_IP="3/minute")
    with TestClient(app, client=("203.0.113.7", 50000)) as script:
        codes = [script.post("/api/v1/chat", json={"session": f"web-{n}", "text": "hello"},
                             headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]  # every made-up address counted as the peer's own


def test_x_forwarded_for_is_believed_from_a_trusted_proxy(make_app):
    app = make_app(SLOTLINE_RATE_LIMIT_CHAT_IP="3/minute", SLOTLINE_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.1")
    with TestClient(app, client=("10.1.2.3", 50000)) as proxy:
        def via(forwarded: str, session: str) -> int:
            return proxy.post("/api/v1/chat", json={"session": session, "text": "hello"},
                              headers={"X-Forwarded-For": forwarded}).status_code

        assert [via("198.51.100.1", f"web-a{n}") for n in range(4)] == [200, 200, 200, 429]
        assert via("198.51.100.2", "web-b") == 200  # another client behind the same proxy
        # A client's own made-up entry comes first; the proxy appends the address it saw.
        assert via("203.0.113.99, 198.51.100.1", "web-a9") == 429
        assert via("198.51.100.1, 192.0.2.1", "web-a10") == 429  # through two trusted proxies


def test_trusted_proxies_must_be_addresses_or_networks():
    with pytest.raises(ValueError, match="not an IP address or CIDR network"):
        Settings(SLOTLINE_TRUSTED_PROXIES="10.0.0.0/8, proxy.example.com")


def test_the_app_can_still_be_built_without_a_container_for_its_schema():
    assert TestClient(create_app(None)).get("/openapi.json").status_code == 200


def test_slotline_web_leaves_proxy_headers_to_the_app(monkeypatch, tmp_path, engine, redis_client, clock):
    import uvicorn

    from slotline import cli

    seen = {}

    class Recorded(uvicorn.Server):
        def run(self, sockets=None):
            seen.update(proxy_headers=self.config.proxy_headers)

    monkeypatch.setattr(uvicorn, "Server", Recorded)
    app = create_app(build(Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path)),
                           redis=redis_client, engine=engine, clock=clock))
    cli._serve(app, "127.0.0.1", 0)
    assert seen == {"proxy_headers": False}  # uvicorn would otherwise believe anyone on 127.0.0.1
