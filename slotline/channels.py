"""Each channel's adapters, built once for the composition root (`slotline.bootstrap`).

The outbound side: a `Sender` per configured channel, for the Outbox (`build_senders`). The
inbound side: the Telegram channel, the Slack Bolt app and the SMS inbox (`build_channels`),
made from the same senders and the one `ProviderDay`. A channel that is off is None; the routes
answer 503 for it (`webhooks.channels`). Bots are imported only for a channel that is on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from core.booking.provider_day import ProviderDay
from core.clock import utcnow
from core.conversation.assistant import Assistant
from core.conversation.messages import Reply
from core.notifications.links import Links
from core.notifications.ports import AgendaPoster
from core.notifications.sender import Outbox, SendFailed, Sender

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bots.sms.inbox import SmsInbox
    from bots.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)


@dataclass
class Channels:
    """The inbound adapters, each built once and shared by whatever serves that channel; None when off."""

    telegram: TelegramChannel | None = None  # Updates in: the webhook route and polling
    slack: AsyncApp | None = None  # the Bolt app: the HTTP route and Socket Mode
    sms: SmsInbox | None = None  # Twilio's inbound texts
    agendas: AgendaPoster | None = None  # the daily agenda in Slack, posted by the worker


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


def build_channels(settings: Settings, *, session_factory: sessionmaker[Session], assistant: Assistant | None,
                   outbox: Outbox, workday: ProviderDay) -> Channels:
    """The inbound adapters over the Outbox's senders: one Telegram sender, one Slack sender and one
    provider's day serve the routes, polling, Socket Mode and the worker's agendas alike."""
    channels = Channels(sms=_sms_inbox(settings, session_factory, assistant))
    telegram = outbox.senders.get("telegram")
    if telegram is not None and assistant is not None:  # the conversation lives in Redis
        from bots.telegram.channel import TelegramChannel

        channels.telegram = TelegramChannel(assistant, telegram, session_factory)
    if settings.slack_bot_token:
        from bots.slack.app import create_slack_app
        from bots.slack.sender import SlackAgendaPoster

        channels.slack = create_slack_app(settings, assistant=assistant, workday=workday)
        channels.agendas = SlackAgendaPoster(outbox.senders["slack"], workday)
    return channels


def _sms_inbox(settings: Settings, session_factory: sessionmaker[Session], assistant: Assistant | None):
    """The SMS inbox, once Twilio can sign its webhooks to us (TWILIO_AUTH_TOKEN, SLOTLINE_PUBLIC_URL)."""
    if not (settings.twilio_auth_token and settings.public_url):
        return None
    from bots.sms import OptOuts
    from bots.sms.inbox import SmsInbox, first_time_by

    return SmsInbox(assistant, OptOuts(session_factory), first_time_by(assistant.store if assistant else None))
