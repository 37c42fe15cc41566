"""The outbound side of each configured channel, for the Outbox (web chat has none: it only answers)."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from core.notifications.sender import Sender


def build_senders(settings: Settings, session_factory: sessionmaker[Session]) -> dict[str, Sender]:
    """A sender per channel whose settings are present; channels without them are simply not reachable."""
    senders: dict[str, Sender] = {}
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
    return senders
