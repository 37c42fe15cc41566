"""The outbound side of each channel, for the Outbox: the web chat's inbox, and each configured platform."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from core.booking.service import utcnow
from core.notifications.links import Links
from core.conversation.messages import Reply
from core.notifications.sender import SendFailed, Sender

log = logging.getLogger(__name__)


def build_links(settings: Settings) -> Links:
    """Signed manage and unsubscribe links under SLOTLINE_PUBLIC_URL, keyed from the admin token that the
    web app and the worker share (read on first use: in development it is generated into the data dir)."""
    return Links(settings.resolved_admin_token, settings.public_url)


def build_senders(settings: Settings, session_factory: sessionmaker[Session], redis: Redis | None, *,
                  clock: Callable[[], datetime] = utcnow, links: Links | None = None) -> dict[str, Sender]:
    """A sender per channel whose settings are present; channels without them are simply not reachable.

    The web chat is always on: with Redis, what the worker sends to a web chat session waits in
    that session's inbox for the page to pick up (see `bots.webchat`)."""
    senders: dict[str, Sender] = {}
    if redis is not None:
        from bots.webchat import WebChatSender

        senders["web"] = WebChatSender.on(redis, clock=clock)
    if settings.telegram_bot_token:
        from bots.telegram import TelegramSender

        senders["telegram"] = TelegramSender.from_settings(settings)
    if settings.slack_bot_token:
        from bots.slack.sender import SlackSender

        senders["slack"] = SlackSender.from_settings(settings)
    from bots.sms.sender import SmsSender

    sms = SmsSender.from_settings(settings, session_factory)
    if sms is not None:
        senders["sms"] = sms
    from bots.email import EmailSender

    email = EmailSender.from_settings(settings, session_factory, links=links, clock=clock)
    if email is not None:
        senders["email"] = email
    return senders


class CodeSenders:
    """One-time codes (`core.conversation.ports.CodeSender`) by SMS and by email, where those are on."""

    def __init__(self, senders: dict[str, Sender]):
        self.by_kind = {kind: senders[channel] for kind, channel in (("phone", "sms"), ("email", "email"))
                        if channel in senders}
        self.kinds = frozenset(self.by_kind)

    def send_code(self, kind: str, address: str, text: str) -> bool:
        sender = self.by_kind.get(kind)
        if sender is None:
            return False
        try:
            sender.send(address, Reply(text))
        except SendFailed as exc:
            log.warning("could not send a one-time code by %s: %s", kind, exc)
            return False
        return True
