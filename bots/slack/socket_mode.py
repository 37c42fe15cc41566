"""Socket Mode: the same Bolt app over a WebSocket Slack opens for it, for a workspace with no public URL."""
from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bots.slack.app import SlackNotConfigured
from bots.slack.provider_listeners import link_providers_by_email
from core.booking.provider_day import ProviderDay

log = logging.getLogger(__name__)


def socket_mode_handler(app: AsyncApp, app_token: str | None) -> AsyncSocketModeHandler:
    """A Socket Mode handler for Slotline's Bolt app (`SLACK_APP_TOKEN`, an app-level xapp- token)."""
    if not app_token:
        raise SlackNotConfigured("Socket Mode needs SLACK_APP_TOKEN (an app-level token with connections:write, "
                                 "xapp-...)")
    return AsyncSocketModeHandler(app, app_token)


async def serve_socket_mode(app: AsyncApp, workday: ProviderDay, app_token: str | None) -> None:
    """Link providers by email, then take Slack's requests over Socket Mode until cancelled."""
    handler = socket_mode_handler(app, app_token)
    linked = await link_providers_by_email(app.client, workday)
    log.info("socket mode: %d provider(s) linked to Slack by email", linked)
    await handler.start_async()


def run_socket_mode(app: AsyncApp, workday: ProviderDay, app_token: str | None) -> None:
    """Blocking entry point for `slotline slack`: the composition root's Bolt app and provider's day."""
    asyncio.run(serve_socket_mode(app, workday, app_token))
