"""`SmsSender`: the outbound port for SMS, over twilio-python's REST client.

Every call goes to `TWILIO_API_BASE_URL` in place of https://api.twilio.com (a test double, a
proxy), and asks Twilio to report delivery to `/webhooks/twilio/status` when Slotline has a
public URL. Nothing is sent to a number that opted out; Twilio's own refusal for such a
number (21610) is recorded as an opt-out too, so our record catches up with Twilio's. A
notification carries the appointment's manage link when it still fits in two segments.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import requests
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bots.sms.optouts import CHANNEL, OptOuts, masked
from bots.sms.render import render
from bots.sms.segments import fits
from config.settings import Settings
from core.conversation.messages import Reply
from core.notifications.notice import Notice
from core.notifications.sender import Sender, SendFailed

log = logging.getLogger(__name__)
TWILIO_API = "https://api.twilio.com"
STATUS_PATH = "/webhooks/twilio/status"
UNSUBSCRIBED = 21610
MAX_SEGMENTS = 2  # what one notification may cost
LINK_LABEL = "Manage it: "
# The number itself is wrong or cannot take SMS: sending again will fail the same way.
BAD_RECIPIENT = {21211: "not a valid phone number", 21614: "not a mobile number", 21610: "unsubscribed (STOP)",
                 21612: "not reachable from our number", 21408: "in a region SMS is not enabled for",
                 21217: "not a valid phone number"}


class BaseUrlHttpClient(TwilioHttpClient):
    """twilio-python's HTTP client, sending what it addresses to api.twilio.com to another base URL."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method, url, *args, **kwargs):
        return super().request(method, self.rewrite(url), *args, **kwargs)

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host != "api.twilio.com" and not (host.startswith("api.") and host.endswith(".twilio.com")):
            return url
        return urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))


class SmsSender(Sender):
    """Sends a `Reply` as one SMS from `from_number`; returns Twilio's message SID (SM...)."""

    channel = CHANNEL
    quiet_hours = True  # a text wakes people: reminders and follow-ups wait for the morning
    buttons = False  # numbered lines only answer inside a conversation; a notice says it in words
    letters = True  # "Reply C to confirm, X to cancel, R to move."
    calendar_files = False  # no .ics by text: a client who moved it by text was told all there is

    def __init__(self, *, account_sid: str, auth_token: str, from_number: str,
                 session_factory: sessionmaker[Session], api_base_url: str = TWILIO_API,
                 status_callback: str | None = None, timeout: float = 10.0):
        self.from_number = from_number
        self.status_callback = status_callback
        self.opt_outs = OptOuts(session_factory)
        self.client = Client(account_sid, auth_token,
                             http_client=BaseUrlHttpClient(api_base_url, timeout=timeout))

    @classmethod
    def from_settings(cls, settings: Settings, session_factory: sessionmaker[Session]) -> SmsSender | None:
        """The sender the settings describe, or None when TWILIO_ACCOUNT_SID/AUTH_TOKEN/FROM_NUMBER are unset."""
        if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number):
            return None
        callback = settings.public_url.rstrip("/") + STATUS_PATH if settings.public_url else None
        return cls(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
                   from_number=settings.twilio_from_number, session_factory=session_factory,
                   api_base_url=settings.twilio_api_base_url, status_callback=callback)

    def send(self, recipient: str, reply: Reply) -> str | None:
        return self._send_body(recipient, render(reply))

    def send_notice(self, recipient: str, notice: Notice) -> str | None:
        """The notice's text, and its manage link on a line of its own when the whole stays within two
        segments (a reminder's letters answer it anyway; the link is for those who would rather tap)."""
        body = render(notice.reply)
        if notice.manage_url and fits(f"{body}\n{LINK_LABEL}{notice.manage_url}", MAX_SEGMENTS):
            body = f"{body}\n{LINK_LABEL}{notice.manage_url}"
        return self._send_body(recipient, body)

    def _send_body(self, recipient: str, body: str) -> str | None:
        if self.opt_outs.is_opted_out(recipient):
            raise SendFailed(f"{masked(recipient)} has opted out of SMS", opted_out=True)
        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        try:
            message = self.client.messages.create(to=recipient, from_=self.from_number, body=body, **extra)
        except TwilioException as exc:
            raise self._failure(recipient, exc) from exc
        except requests.RequestException as exc:  # timeouts, refused or dropped connections
            raise SendFailed(f"Twilio could not be reached: {type(exc).__name__}", permanent=False) from exc
        return message.sid

    def _failure(self, recipient: str, exc: TwilioException) -> SendFailed:
        code, status = getattr(exc, "code", None), getattr(exc, "status", None) or 0
        if code == UNSUBSCRIBED:
            self.opt_outs.set(recipient, True)
        if code in BAD_RECIPIENT:
            return SendFailed(f"Twilio error {code}: {masked(recipient)} is {BAD_RECIPIENT[code]}", permanent=True,
                              opted_out=code == UNSUBSCRIBED)
        # A 400 is about this message and fails again; 401/403 (our credentials), 429 and 5xx may pass later.
        log.warning("Twilio refused an SMS to %s: HTTP %s, code %s", masked(recipient), status, code)
        return SendFailed(f"Twilio error {code} (HTTP {status})", permanent=status == 400)
