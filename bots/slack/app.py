"""`create_slack_app`: the Bolt app for Slotline, the same for the HTTP route and for Socket Mode.

Bolt's own middleware does the edge work before any listener runs: the request signature
and timestamp are checked (401 otherwise), `url_verification` is answered, the app's own
events are dropped. The HTTP route checks the signature first as well (`verification`), and
the error handler acts only on a request that passed it. Every Web API call, the listeners'
and the `SlackSender`'s alike, goes to `SLACK_API_BASE_URL`.
"""
from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import conversation, messages, provider_listeners
from bots.slack.verification import bolt_request_verified
from config.settings import Settings
from core.booking.provider_day import ProviderDay
from core.conversation.assistant import Assistant

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong on my side and I couldn't finish that. Please try again in a moment."


class SlackNotConfigured(RuntimeError):
    """A setting Slack needs is missing; the message names it."""


def create_slack_app(settings: Settings, *, assistant: Assistant | None, workday: ProviderDay) -> AsyncApp:
    """The Bolt app: clients talk to `assistant` (None without Redis: they are told it is away), providers
    work their day through `workday` (the core's, shared with the agendas the worker posts)."""
    if not settings.slack_bot_token:
        raise SlackNotConfigured("Slack needs SLACK_BOT_TOKEN (the app's bot token, xoxb-...)")
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_base_url, timeout=10)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    app = AsyncApp(client=client, signing_secret=settings.slack_signing_secret or "", name="slotline")
    conversation.register(app, assistant)
    provider_listeners.register(app, workday)
    app.error(_error_handler(settings.slack_signing_secret))
    return app


def _error_handler(signing_secret: str | None):
    """Bolt's error handler, which also sees requests that failed (or broke) Bolt's own signature check."""

    async def unexpected(error: Exception, body: dict, request: AsyncBoltRequest, client: AsyncWebClient) -> None:
        if not bolt_request_verified(request.mode, request.raw_body, request.headers, signing_secret):
            # Its body is whatever a stranger wrote: never act on it, never log it.
            log.warning("refused a Slack request that failed verification (%s)", type(error).__name__)
            return
        await _unexpected(error, body, client)

    return unexpected


async def _unexpected(error: Exception, body: dict, client: AsyncWebClient) -> None:
    """A listener failed after Slack had its answer: log it in full, and tell the person rather than go quiet."""
    log.error("slack listener failed on a %s request", body.get("type") or body.get("command"), exc_info=error)
    user = _person(body)
    if user:
        try:
            await client.chat_postMessage(channel=user, text=SORRY)
        except SlackApiError as exc:
            log.warning("could not tell %s that something went wrong: %s", user, exc.response.get("error"))


def _person(body: dict) -> str | None:
    """Who made the request: who pressed or submitted, who typed the command, who wrote or opened the Home."""
    if isinstance(body.get("user"), dict):
        return body["user"].get("id")
    if body.get("user_id"):
        return body["user_id"]
    event = body.get("event") or {}
    return event.get("user") if messages.is_person_dm(event) or event.get("type") == "app_home_opened" else None
