"""A fake Twilio at its HTTP boundary, both ways.

- `TwilioApiDouble`: a real HTTP server on 127.0.0.1 (a free port, one thread a request)
  speaking the REST API's wire format for `POST /2010-04-01/Accounts/{sid}/Messages.json`:
  form-encoded in, Twilio's JSON out, HTTP basic auth checked. It records every call and can
  be told to answer with a Twilio error (`fail_with(21211)`), a 500, or slowly.
- `TwilioWebhooks` and `Phone`: webhooks as Twilio sends them, form-encoded and signed with
  twilio-python's own `RequestValidator.compute_signature` over the public URL, and a person
  texting through them who reads the `<Message>`s of the TwiML answer.

Shapes come from recorded payloads in tests/payloads/twilio/.
"""
from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "twilio"
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-zA-Z]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def error_body(code: int, message: str, status: int) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    form: dict[str, str]
    authorized: bool


class TwilioApiDouble:
    """Twilio's Messages REST API on a local port. `base_url` goes in TWILIO_API_BASE_URL."""

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "twilio-test-token"):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.calls: list[Call] = []
        self._failure: tuple[int, int, str] | None = None  # (status, code, message)
        self._delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_with(self, code: int, status: int = 400, message: str | None = None) -> None:
        """Answer every call with this Twilio error until `reset()`; `fail_with(0, 500)` is a bare 500.

        The message is the recorded one (tests/payloads/twilio/error_<code>.json) when there is one.
        """
        recorded = PAYLOADS / f"error_{code}.json"
        default = payload(f"error_{code}")["message"] if recorded.exists() else "refused by the double"
        self._failure = (status, code, message or default)

    def respond_after(self, seconds: float) -> None:
        self._delay = seconds

    def reset(self) -> None:
        self._failure, self._delay = None, 0.0
        with self._lock:
            self.calls.clear()

    def start(self) -> TwilioApiDouble:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="twilio-api-double", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TwilioApiDouble:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _answer(self, path: str, form: dict[str, str], authorized: bool) -> tuple[int, dict]:
        match = MESSAGES.match(path)
        if not authorized:
            return 401, error_body(20003, "Authenticate", 401)
        if match is None or match["account"] != self.account_sid:
            return 404, error_body(20404, f"The requested resource {path} was not found", 404)
        time.sleep(self._delay)
        if self._failure is not None:
            status, code, message = self._failure
            return status, (error_body(code, message, status) if code else {"message": "Internal Server Error"})
        if not form.get("To"):
            return 400, error_body(21604, "A 'To' phone number is required.", 400)
        if not E164.match(form["To"]):
            return 400, error_body(21211, f"Invalid 'To' Phone Number: {form['To']}", 400)
        if not form.get("Body"):
            return 400, error_body(21602, "Message body is required.", 400)
        message = copy.deepcopy(payload("message_created"))
        sid = "SM" + uuid.uuid4().hex
        message.update(sid=sid, to=form["To"], body=form["Body"], account_sid=self.account_sid,
                       uri=f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
                       **{"from": form.get("From")})
        return 201, message


def _handler(double: TwilioApiDouble) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{double.account_sid}:{double.auth_token}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            form = dict(parse_qsl(raw, keep_blank_values=True))
            authorized = self.headers.get("Authorization") == expected
            double._record(Call("POST", self.path, form, authorized))
            status, body = double._answer(self.path, form, authorized)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    return Handler


class TwilioWebhooks:
    """Posts webhooks to our app as Twilio does, signed over `public_url` + path with the auth token."""

    def __init__(self, client, *, auth_token: str, public_url: str):
        self.client, self.auth_token, self.public_url = client, auth_token, public_url.rstrip("/")

    def sign(self, path: str, form: dict[str, str]) -> str:
        return RequestValidator(self.auth_token).compute_signature(self.public_url + path, form)

    def post(self, path: str, form: dict[str, str], *, signature: str | None = None):
        headers = {"X-Twilio-Signature": signature if signature is not None else self.sign(path, form)}
        return self.client.post(path, data=form, headers=headers)


_sids = itertools.count(1)


class Phone:
    """Someone texting our Twilio number; `messages` are the bodies of the last TwiML answer."""

    def __init__(self, webhooks: TwilioWebhooks, number: str, *, our_number: str = "+447700900123"):
        self.webhooks, self.number, self.our_number = webhooks, number, our_number
        self.messages: list[str] = []
        self.response = None

    def text(self, body: str, *, sid: str | None = None) -> list[str]:
        """Send `body`; returns what we answered (each `<Message>`). A retry reuses `sid`."""
        form = payload("inbound_sms")
        sid = sid or f"SM{next(_sids):032x}"
        form.update(Body=body, From=self.number, To=self.our_number, MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
        self.last_sid = sid
        self.response = self.webhooks.post("/webhooks/twilio/sms", form)
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["content-type"].startswith("text/xml")
        root = ET.fromstring(self.response.text)
        assert root.tag == "Response"
        self.messages = [message.text or "" for message in root.findall("Message")]
        return self.messages

    @property
    def said(self) -> str:
        return "\n".join(self.messages)

    def pick(self, label: str) -> list[str]:
        """Reply with the number of the first line like `label` ("3) 16:30") in the last answer."""
        for line in self.said.splitlines():
            found = re.match(r"^(\d+)\) (.*)$", line)
            if found and label.lower() in found[2].lower():
                return self.text(found[1])
        raise AssertionError(f"no numbered line like {label!r} in {self.said!r}")
