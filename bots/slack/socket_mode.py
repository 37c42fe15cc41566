"""Socket Mode: the same Bolt app over a WebSocket Slack opens for it, for a workspace with no public URL."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bots.slack.app import SlackNotConfigured, create_slack_app
from core.booking.provider_day import ProviderDay
from bots.slack.provider_listeners import link_providers_by_email
from core.notifications.sender import Outbox, Sender

if TYPE_CHECKING:  # the composition root builds bots, not the other way round
    from slotline.bootstrap import Container

log = logging.getLogger(__name__)


def socket_mode_handler(container: Container, *, senders: dict[str, Sender] | None = None) -> AsyncSocketModeHandler:
    """A Socket Mode handler for Slotline's Bolt app (`SLACK_APP_TOKEN`, an app-level xapp- token)."""
    token = container.settings.slack_app_token
    if not token:
        raise SlackNotConfigured("Socket Mode needs SLACK_APP_TOKEN (an app-level token with connections:write, "
                                 "xapp-...)")
    return AsyncSocketModeHandler(create_slack_app(container, senders=senders), token)


async def serve_socket_mode(container: Container, *, senders: dict[str, Sender] | None = None) -> None:
    """Link providers by email, then take Slack's requests over Socket Mode until cancelled."""
    handler = socket_mode_handler(container, senders=senders)
    desk = ProviderDay(container.booking, container.session_factory, Outbox(container.session_factory, {}),
                       clock=container.clock)
    linked = await link_providers_by_email(handler.app.client, desk)
    log.info("socket mode: %d provider(s) linked to Slack by email", linked)
    await handler.start_async()


def run_socket_mode(container: Container, *, senders: dict[str, Sender] | None = None) -> None:
    """Blocking entry point for the CLI: `slotline slack` (or similar) calls this."""
    asyncio.run(serve_socket_mode(container, senders=senders))
