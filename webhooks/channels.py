"""The channel adapters a route needs, as `Annotated` dependencies: each refuses with 503, saying what to set,
while its channel is off.

Nothing is built here: the composition root (`slotline.bootstrap.build`) builds every adapter once
and keeps it on `Container.channels`; these hand them out. A route lists its verification
dependency before these, so a forged request is refused as such whether or not the channel is on.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from slack_bolt.async_app import AsyncApp

from bots.sms import SmsInbox
from bots.telegram import TelegramChannel
from webhooks.deps import ContainerDep


def _off(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail)


def telegram_channel(container: ContainerDep) -> TelegramChannel:
    channel = container.channels.telegram
    if channel is None:
        raise _off("Telegram is not configured: set TELEGRAM_BOT_TOKEN" if not container.settings.telegram_bot_token
                   else "the Telegram channel needs Redis, which is not configured")
    return channel


def slack_app(container: ContainerDep) -> AsyncApp:
    """The Bolt app, for the HTTP route: which needs the signing secret as well as the bot token."""
    if container.channels.slack is None or not container.settings.slack_signing_secret:
        raise _off("Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
    return container.channels.slack


def sms_inbox(container: ContainerDep) -> SmsInbox:
    if container.channels.sms is None:
        raise _off("SMS is not configured: set TWILIO_AUTH_TOKEN and SLOTLINE_PUBLIC_URL")
    return container.channels.sms


TelegramDep = Annotated[TelegramChannel, Depends(telegram_channel)]
SlackDep = Annotated[AsyncApp, Depends(slack_app)]
SmsInboxDep = Annotated[SmsInbox, Depends(sms_inbox)]
