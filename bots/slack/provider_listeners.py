"""Providers in Slack: `/agenda [day]`, `/block <time>`, the App Home, and the buttons on each appointment.

Every listener acknowledges first and works after (in a thread for the synchronous core).
A slash command is answered privately through its `response_url`; an agenda is refreshed
where it was shown (that ephemeral reply, a message, or the App Home) after a change.
A provider is known by `Provider.slack_user_id`, else found once by their Slack email. What they
can do is the core's (`core.booking.provider_day`); here are only Slack's requests and answers.
"""
from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, timedelta

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.slack import agenda_views as views
from bots.slack import provider_replies as replies
from core.booking.errors import BookingError
from core.booking.provider_day import ProviderDay
from core.booking.providers import ProviderCard

log = logging.getLogger(__name__)
NOT_A_PROVIDER = ("I show agendas and block time for providers only, and your Slack account isn't linked to one. "
                  "If you are a provider, ask the business to put your Slack email address on your provider "
                  "profile. To book an appointment yourself, just send me a message.")
BLOCK_NOTE = "Blocked in Slack"  # the time off's own note, for staff


def register(app: AsyncApp, workday: ProviderDay) -> None:
    @app.command("/agenda")
    async def agenda_command(ack, command: dict, client: AsyncWebClient, respond) -> None:
        provider = await provider_for_command(ack, command, client, workday, respond)
        if provider is None:
            return
        try:
            day = await asyncio.to_thread(workday.day_named, provider, command.get("text") or "")
        except BookingError as exc:
            return await respond(replies.refusal(exc))
        agenda = await asyncio.to_thread(workday.agenda, provider, day)
        await respond(response_type="ephemeral", **views.agenda_message(agenda))

    @app.command("/block")
    async def block_command(ack, command: dict, client: AsyncWebClient, respond) -> None:
        provider = await provider_for_command(ack, command, client, workday, respond)
        if provider is None:
            return
        try:
            start, end = await asyncio.to_thread(workday.block, provider, command.get("text") or "", note=BLOCK_NOTE)
        except BookingError as exc:
            return await respond(replies.refusal(exc))
        await respond(replies.blocked(start, end, provider.timezone))

    @app.event("app_home_opened")
    async def home_opened(event: dict, client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home":
            await publish_home(client, workday, event["user"])

    @app.action(re.compile(f"^({'|'.join(views.MARK_ACTIONS)})$"))
    async def mark(ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        await ack()
        user, origin = body["user"]["id"], origin_of(body)
        provider = await recognise(client, workday, user)
        if provider is None:
            return await tell(client, user, origin, NOT_A_PROVIDER)
        try:
            item = await asyncio.to_thread(workday.mark, provider, int(action["value"]),
                                           views.MARK_ACTIONS[action["action_id"]])
        except BookingError as exc:
            return await tell(client, user, origin, replies.refusal(exc))
        await refresh(client, workday, provider, user, origin, workday.day_of(provider, item))

    @app.action(re.compile(f"^({'|'.join(views.ANSWER_ACTIONS)})$"))
    async def answer(ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        """Approve or Decline a request: on its own message (rewritten to say what was done), or in an agenda."""
        await ack()
        user, origin = body["user"]["id"], origin_of(body)
        provider = await recognise(client, workday, user)
        if provider is None:
            return await tell(client, user, origin, NOT_A_PROVIDER)
        act = workday.approve if views.ANSWER_ACTIONS[action["action_id"]] == "approve" else workday.decline
        try:
            done = await asyncio.to_thread(act, provider, int(action["value"]))
        except BookingError as exc:
            return await tell(client, user, origin, replies.refusal(exc))
        outcome = replies.answered(done, provider.timezone)
        if action["action_id"].startswith("request_") and origin["kind"] == "message":
            line = views.item_line(done.item, provider.timezone)
            return await client.chat_update(channel=origin["channel"], ts=origin["ts"],
                                            **views.answered_message(outcome, line))
        await refresh(client, workday, provider, user, origin, workday.day_of(provider, done.item))
        await tell(client, user, origin, outcome)

    @app.action(re.compile(f"^({views.LATE_ACTION}|{views.CANCEL_ACTION})$"))
    async def ask(ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        """Running late and Cancel ask first, in a modal (opened at once: its trigger lasts 3 seconds)."""
        await ack()
        user, origin = body["user"]["id"], origin_of(body)
        provider = await recognise(client, workday, user)
        if provider is None:
            return await tell(client, user, origin, NOT_A_PROVIDER)
        try:
            item = await asyncio.to_thread(workday.item, provider, int(action["value"]))
        except BookingError as exc:
            return await tell(client, user, origin, replies.refusal(exc))
        meta = {"appointment": item.appointment_id, "origin": origin}
        modal = views.late_modal if action["action_id"] == views.LATE_ACTION else views.cancel_modal
        await client.views_open(trigger_id=body["trigger_id"], view=modal(item, provider.timezone, meta))

    @app.view(views.LATE_VIEW)
    async def late_submitted(ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        await ack()
        minutes = int(views.answer(view, "minutes"))
        await _after_modal(client, workday, body, view, lambda p, appointment: replies.told(
            workday.running_late(p, appointment, minutes)), refreshes=False)

    @app.view(views.CANCEL_VIEW)
    async def cancel_submitted(ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        reason = views.answer(view, "reason").strip()
        if not reason:
            return await ack(response_action="errors", errors={"reason": "Please give the client a reason."})
        await ack()
        await _after_modal(client, workday, body, view, lambda p, appointment: replies.cancelled(
            workday.cancel(p, appointment, reason), p.timezone), refreshes=True)


async def provider_for_command(ack, command: dict, client: AsyncWebClient, workday: ProviderDay,
                               respond) -> ProviderCard | None:
    """Acknowledge a slash command, then the provider who sent it; anyone else is told what it is for."""
    await ack()
    provider = await recognise(client, workday, command["user_id"])
    if provider is None:
        await respond(NOT_A_PROVIDER)
    return provider


async def recognise(client: AsyncWebClient, workday: ProviderDay, user_id: str) -> ProviderCard | None:
    """The provider this Slack user is: linked already, or found by the email on their Slack profile."""
    provider = await asyncio.to_thread(workday.by_slack_user, user_id)
    if provider is not None:
        return provider
    try:
        info = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
        return None
    email = ((info.get("user") or {}).get("profile") or {}).get("email")
    return await asyncio.to_thread(workday.link_by_email, user_id, email) if email else None


async def link_providers_by_email(client: AsyncWebClient, workday: ProviderDay) -> int:
    """Link every provider with an email to the Slack user with that email (`users.lookupByEmail`)."""
    linked = 0
    for email in await asyncio.to_thread(workday.unlinked_emails):
        try:
            found = await client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            log.info("no Slack user for provider email %s: %s", email, exc.response.get("error"))
            continue
        linked += await asyncio.to_thread(workday.link_by_email, found["user"]["id"], email) is not None
    return linked


async def publish_home(client: AsyncWebClient, workday: ProviderDay, user: str,
                       provider: ProviderCard | None = None) -> None:
    provider = provider or await recognise(client, workday, user)
    if provider is None:
        view = views.welcome_home_view()
    else:
        today = await asyncio.to_thread(workday.today, provider)
        agendas = [await asyncio.to_thread(workday.agenda, provider, today + timedelta(days=n)) for n in (0, 1)]
        view = views.home_view(*agendas)
    await client.views_publish(user_id=user, view=view)


def origin_of(body: dict) -> dict:
    """Where the pressed button was shown, so the agenda there can be refreshed."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        return {"kind": "home"}
    if container.get("is_ephemeral") or "message" not in body:
        return {"kind": "ephemeral", "response_url": body.get("response_url")}
    return {"kind": "message", "channel": container["channel_id"], "ts": container["message_ts"]}


async def refresh(client: AsyncWebClient, workday: ProviderDay, provider: ProviderCard, user: str, origin: dict,
                  day: date) -> None:
    if origin["kind"] == "home":
        return await publish_home(client, workday, user, provider)
    message = views.agenda_message(await asyncio.to_thread(workday.agenda, provider, day))
    if origin["kind"] == "message":
        await client.chat_update(channel=origin["channel"], ts=origin["ts"], **message)
    elif origin.get("response_url"):
        await AsyncWebhookClient(origin["response_url"]).send(replace_original=True, response_type="ephemeral",
                                                              **message)


async def tell(client: AsyncWebClient, user: str, origin: dict, text: str) -> None:
    """A note for the provider: beside the agenda they pressed it in, else in their DM with the app."""
    if origin.get("response_url"):
        await AsyncWebhookClient(origin["response_url"]).send(text=text, response_type="ephemeral",
                                                              replace_original=False)
    else:
        await client.chat_postMessage(channel=user, text=text)


async def _after_modal(client: AsyncWebClient, workday: ProviderDay, body: dict, view: dict, act, *,
                       refreshes: bool) -> None:
    user, meta = body["user"]["id"], views.metadata(view)
    origin = meta.get("origin") or {"kind": "dm"}
    provider = await recognise(client, workday, user)
    if provider is None:
        return await tell(client, user, origin, NOT_A_PROVIDER)
    try:
        outcome = await asyncio.to_thread(act, provider, int(meta["appointment"]))
    except BookingError as exc:
        return await tell(client, user, origin, replies.refusal(exc))
    if refreshes:
        item = await asyncio.to_thread(workday.item, provider, int(meta["appointment"]))
        await refresh(client, workday, provider, user, origin, workday.day_of(provider, item))
    await tell(client, user, origin, outcome)

