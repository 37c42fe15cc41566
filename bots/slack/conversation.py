"""Clients booking by direct message: the same conversation as every channel, choices as Block Kit buttons.

Events are acknowledged by Bolt before the listener runs; a button press is acknowledged
first thing. The assistant (synchronous: the database and Redis) runs in a worker thread,
and its replies are posted afterwards, so Slack always has its answer within 3 seconds.
"""
from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import messages
from core.conversation.assistant import Assistant
from core.conversation.errors import ConversationBusy
from core.conversation.messages import Inbound, Reply

log = logging.getLogger(__name__)
NO_ASSISTANT = "Booking by chat isn't switched on here yet (it needs Redis). Please ask the business to set it up."
BUSY = "I'm still working on your last message. Please send this one again in a moment."


def register(app: AsyncApp, assistant: Assistant | None) -> None:
    """Listen for DMs and choice buttons on `app`."""

    @app.event({"type": "message", "subtype": None}, matchers=[_person_dm])
    async def direct_message(event: dict, client: AsyncWebClient) -> None:
        await converse(client, assistant, messages.from_message(event), channel=event["channel"])

    @app.event("message")
    async def other_message() -> None:
        """Edits, bot posts (ours too) and channel chatter: acknowledged, never answered, so no loops."""

    @app.action(messages.CHOICE_ACTION)
    async def choice(ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        await ack()
        channel = body["container"]["channel_id"]
        if "message" in body:  # spend the buttons first, so the same message cannot book twice
            try:
                await client.chat_update(channel=channel, ts=body["container"]["message_ts"],
                                         **messages.spent(body["message"], action["text"]["text"]))
            except SlackApiError as exc:  # the pick still counts: the conversation guards against a stale one
                log.warning("could not spend the buttons of %s: %s", body["container"], exc.response.get("error"))
        await converse(client, assistant, messages.from_choice(body, action), channel=channel)


async def converse(client: AsyncWebClient, assistant: Assistant | None, inbound: Inbound, *, channel: str) -> None:
    """One turn of the conversation, answered in `channel`."""
    if assistant is None:
        replies = [Reply(NO_ASSISTANT)]
    else:
        try:
            replies = await asyncio.to_thread(assistant.handle, inbound)
        except ConversationBusy:
            log.info("slack conversation with %s busy; asked to resend", inbound.sender)
            replies = [Reply(BUSY)]
    for reply in replies:
        await client.chat_postMessage(channel=channel, **messages.render(reply))


async def _person_dm(event: dict) -> bool:
    return messages.is_person_dm(event)
