"""A local Slack: the Web API as a real HTTP server in a thread, and Slack's side of the Events API.

`SlackApiDouble` listens on 127.0.0.1 (a free port) and speaks the Web API's wire format
for the methods Slotline uses; point `SLACK_API_BASE_URL` at `double.url` and every call
the app makes lands here, recorded (method + params, form, query or JSON alike) for
assertions. It also takes the POSTs an app makes to a `response_url`
(`double.response_url(...)`), recorded as method "response_url". Shaped after bolt-python's
tests/mock_web_api_server.

`SlackWorkspace` plays Slack sending requests to the app: it fills the recorded payload
shapes under tests/payloads/slack/ and signs each body the way Slack does
(`v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")`).
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from slotline.bootstrap import build

BOT_USER = "U0SLOTBOT"
BOT_ID = "B0SLOTBOT"
TEAM = "T0SLOTLINE"
JSON_FIELDS = ("blocks", "view", "attachments")


@dataclass
class Call:
    method: str
    params: dict
    result: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message text, with the text of every block, for looking things up."""
        parts = [str(self.params.get("text") or "")]
        blocks = self.params.get("blocks") or (self.params.get("view") or {}).get("blocks") or []
        parts += [json.dumps(block, ensure_ascii=False) for block in blocks]
        return "\n".join(parts)

    def buttons(self) -> list[dict]:
        blocks = self.params.get("blocks") or (self.params.get("view") or {}).get("blocks") or []
        return [element | {"block_id": block.get("block_id")} for block in blocks if block.get("type") == "actions"
                for element in block["elements"] if element.get("type") == "button"]


class SlackApiDouble:
    """The Slack Web API, locally. Start it, point the app at `url`, read `calls`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict] = {}          # users.info / users.lookupByEmail answer from here
        self.canned: dict[str, dict] = {}         # method -> a fixed answer (e.g. apps.connections.open)
        self.delays: dict[str, float] = {}        # method -> seconds to think before answering
        self._failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-api-double", daemon=True)

    # -- life ----------------------------------------------------------------------------
    def start(self) -> SlackApiDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The `base_url` for slack_sdk (`SLACK_API_BASE_URL`)."""
        return f"{self.origin}/api/"

    def response_url(self, name: str = "commands/T0SLOTLINE/1/x") -> str:
        return f"{self.origin}/hooks/{name}"

    # -- arranging -----------------------------------------------------------------------
    def add_user(self, user_id: str, *, name: str, email: str | None = None, tz: str = "Europe/London") -> None:
        profile = {"real_name": name, "display_name": name.split()[0]} | ({"email": email} if email else {})
        self.users[user_id] = {"id": user_id, "team_id": TEAM, "name": name.split()[0].lower(), "real_name": name,
                               "deleted": False, "is_bot": False, "tz": tz, "profile": profile}

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200,
             headers: dict | None = None) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._failures.setdefault(method, []).extend([(status, {"ok": False, "error": error}, headers or {})] * times)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        self.fail(method, "ratelimited", times=times, status=429, headers={"Retry-After": str(retry_after)})

    # -- asserting -----------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, *, containing: str = "", where: Callable[[Call], bool] | None = None,
                 timeout: float = 10.0) -> Call:
        """The first call of `method` whose text holds `containing` (and `where` holds), waiting for it."""
        def found() -> Call | None:
            return next((c for c in self.calls if c.method == method and containing in c.text
                         and (where is None or where(c))), None)
        with self._changed:
            if not self._changed.wait_for(found, timeout):
                seen = "\n".join(f"  {c.method}: {c.text[:300]}" for c in self.calls)
                raise AssertionError(f"no {method} containing {containing!r} within {timeout}s; calls:\n{seen}")
            return found()

    def quiet(self, period: float = 0.4, timeout: float = 10.0) -> None:
        """Wait until no call has arrived for `period` seconds (the app's work after an ack is done)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while time.monotonic() < deadline:
                count = len(self.calls)
                self._changed.wait(period)
                if len(self.calls) == count:
                    return
        raise AssertionError("the app kept calling Slack")

    # -- answering (server threads) ------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _answer(self, method: str, params: dict) -> tuple[int, dict, dict]:
        queued = self._failures.get(method)
        if queued:
            return queued.pop(0)
        if method in self.canned:
            return 200, self.canned[method], {}
        return 200, self._result(method, params), {}

    def _result(self, method: str, p: dict) -> dict:
        ts = f"{1764489600 + next(self._ts)}.000100"
        if method == "auth.test":
            return {"ok": True, "url": "https://slotline-test.slack.com/", "team": "Slotline test", "user": "slotline",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            return {"ok": True, "channel": p.get("channel"), "ts": ts,
                    "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, "text": p.get("text"),
                                "blocks": p.get("blocks") or []}}
        if method == "chat.update":
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts"), "text": p.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(p.get("users", "")).split(",")[0].lstrip("U")}}
        if method in ("views.publish", "views.open"):
            return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **(p.get("view") or {})}}
        if method == "users.info":
            user = self.users.get(p.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.lookupByEmail":
            email = str(p.get("email", "")).lower()
            user = next((u for u in self.users.values() if u["profile"].get("email", "").lower() == email), None)
            return {"ok": True, "user": user} if user else {"ok": False, "error": "users_not_found"}
        return {"ok": False, "error": "unknown_method"}


def _handler_for(double: SlackApiDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as aiohttp and urllib expect

        def log_message(self, *_args) -> None:  # quiet in test output
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            params = _params(parts.query, self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if parts.path.startswith("/hooks/"):
                double._record(Call("response_url", params | {"url": self.path}))
                return self._send(200, b"ok", {"Content-Type": "text/plain"})
            method = parts.path.removeprefix("/api/")
            time.sleep(double.delays.get(method, 0))
            token = self.headers.get("Authorization", "")
            call = Call(method, params)
            if not token.startswith(("Bearer xoxb-", "Bearer xapp-")):
                status, result, headers = 200, {"ok": False, "error": "not_authed"}, {}
            else:
                status, result, headers = double._answer(method, params)
            call.result = result
            double._record(call)
            self._send(status, json.dumps(result).encode(), {"Content-Type": "application/json; charset=utf-8",
                                                             **headers})

        def _send(self, status: int, body: bytes, headers: dict) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _params(query: str, body: bytes) -> dict:
    params = dict(parse_qsl(query))
    text = body.decode("utf-8") if body else ""
    if text.startswith("{"):
        params |= json.loads(text)
    elif text:
        params |= dict(parse_qsl(text))
    for name in JSON_FIELDS:  # form-encoded calls carry these as JSON strings
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    return params


# -- Slack's side of the Events API: signed requests to the app ---------------------------

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "slack"
_seq = itertools.count(1)


def sample(name: str) -> dict:
    """A recorded payload shape from tests/payloads/slack/."""
    return json.loads((PAYLOADS / name).read_text())


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Slack's request signature: `v0=` + HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    return "v0=" + hmac.new(secret.encode(), b"v0:%d:%s" % (timestamp, body), hashlib.sha256).hexdigest()


class SlackWorkspace:
    """Slack delivering events, slash commands and interactions to the app at `path`, correctly signed."""

    def __init__(self, http, secret: str, api: SlackApiDouble, path: str = "/webhooks/slack/events"):
        self.http, self.secret, self.api, self.path = http, secret, api, path

    def post(self, body: bytes, content_type: str, *, timestamp: int | None = None, secret: str | None = None,
             headers: dict | None = None):
        timestamp = int(time.time()) if timestamp is None else timestamp
        signed = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
                  "X-Slack-Signature": sign(secret or self.secret, body, timestamp)}
        return self.http.post(self.path, content=body, headers=signed | (headers or {}))

    def event(self, event: dict, *, event_id: str | None = None, retry: int = 0, **signing):
        payload = sample("message_im.json") | {"event": event, "event_time": int(time.time()),
                                               "event_id": event_id or f"Ev{next(_seq):010d}"}
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(json.dumps(payload).encode(), "application/json", headers=headers, **signing)

    def dm(self, user: str, text: str, *, msg_id: str | None = None, **kwargs):
        ts = f"{time.time():.6f}"
        event = sample("message_im.json")["event"] | {
            "user": user, "text": text, "channel": dm_channel(user), "ts": ts, "event_ts": ts,
            "client_msg_id": msg_id or str(uuid.uuid4()),
            "blocks": [{"type": "rich_text", "block_id": "b1", "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
        return self.event(event, **kwargs)

    def command(self, user: str, command: str, text: str = "", *, channel: str | None = None):
        form = dict(parse_qsl(sample_text("slash_command.txt").strip())) | {
            "user_id": user, "command": command, "text": text, "channel_id": channel or dm_channel(user),
            "response_url": self.api.response_url(f"commands/{TEAM}/{next(_seq)}/x"),
            "trigger_id": f"{next(_seq)}.1234.{uuid.uuid4().hex[:16]}"}
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def click(self, user: str, on: Call, label: str, *, value: object = None):
        """Press the button labelled `label` (with `value`, if given) on a message or view the app sent."""
        button = next((b for b in on.buttons() if label.lower() in b["text"]["text"].lower()
                       and (value is None or b.get("value") == str(value))), None)
        assert button, f"no button {label!r} ({value}) in {[b['text']['text'] for b in on.buttons()]}"
        payload = sample("block_actions.json")
        payload |= {"user": payload["user"] | {"id": user}, "trigger_id": f"{next(_seq)}.1234.{uuid.uuid4().hex[:16]}",
                    "actions": [{"action_id": button["action_id"], "block_id": button["block_id"],
                                 "text": button["text"], "value": button.get("value"), "type": "button",
                                 "action_ts": f"{time.time():.6f}"}]}
        if on.method == "chat.postMessage":
            payload |= {"container": {"type": "message", "message_ts": on.result["ts"],
                                      "channel_id": on.params["channel"], "is_ephemeral": False},
                        "message": on.result["message"],
                        "channel": {"id": on.params["channel"], "name": "directmessage"},
                        "response_url": self.api.response_url(f"actions/{TEAM}/{next(_seq)}/x")}
        elif on.method == "response_url":  # an ephemeral reply to a slash command: no message is sent back
            for key in ("message", "channel"):
                payload.pop(key)
            payload |= {"container": {"type": "message", "message_ts": f"{time.time():.6f}",
                                      "channel_id": dm_channel(user), "is_ephemeral": True},
                        "response_url": self.api.response_url(f"actions/{TEAM}/{next(_seq)}/x")}
        else:  # the App Home
            for key in ("message", "channel", "response_url"):
                payload.pop(key)
            payload |= {"container": {"type": "view", "view_id": on.result["view"]["id"]}, "view": on.result["view"]}
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")

    def submit(self, user: str, opened: Call, answers: dict[str, str]):
        """Submit the modal the app opened, answering each input block (by block_id) with a value."""
        view = opened.params["view"]
        values = {}
        for block in view["blocks"]:
            if block["type"] == "input" and block["block_id"] in answers:
                element, answer = block["element"], answers[block["block_id"]]
                if "options" in element:
                    value = {"selected_option": next(o for o in element["options"] if o["value"] == answer)}
                else:
                    value = {"value": answer}
                values[block["block_id"]] = {element["action_id"]: {"type": element["type"], **value}}
        payload = sample("view_submission.json")
        payload |= {"user": payload["user"] | {"id": user},
                    "view": payload["view"] | view | {"id": opened.result["view"]["id"], "state": {"values": values}}}
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")


def dm_channel(user: str) -> str:
    """The id of a person's DM with the app, as the double's conversations.open gives it."""
    return "D" + user.lstrip("U")


def sample_text(name: str) -> str:
    return (PAYLOADS / name).read_text()


# -- fixtures (import them into a test module, as with tests/chat_helpers.py) ------------------

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-slotlinetest"


@pytest.fixture(name="slack_api")
def slack_api_fixture() -> Iterator[SlackApiDouble]:
    double = SlackApiDouble().start()
    yield double
    double.stop()


@pytest.fixture(name="slack_container")
def slack_container_fixture(engine, redis_client, clock, salon, slack_api, tmp_path):
    """The chat_helpers container, with Slack configured to talk to the double.

    Needs the `clock` and `salon` fixtures: import `clock_fixture, salon_fixture` from tests.chat_helpers."""
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path), SLACK_BOT_TOKEN=BOT_TOKEN,
                        SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_BASE_URL=slack_api.url)
    return build(settings, redis=redis_client, engine=engine, clock=clock)


@pytest.fixture(name="slack")
def slack_fixture(slack_container, slack_api) -> Iterator[SlackWorkspace]:
    """Slack, sending signed requests to the whole web app (kept running, so work after an ack finishes)."""
    from webhooks.app import create_app

    with TestClient(create_app(slack_container)) as http:
        yield SlackWorkspace(http, SIGNING_SECRET, slack_api)
