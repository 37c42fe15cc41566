"""`SlackSender`: the `Sender` for Slack. A direct message from the app, choices as buttons.

Synchronous (the `Outbox`, the worker and reminders are), on slack_sdk's `WebClient` pointed
at `SLACK_API_BASE_URL`. A 429 is waited out for as long as Slack's `Retry-After` says
(slack_sdk's `RateLimitErrorRetryHandler`); a refusal that retrying cannot mend (the person
left, the account is deactivated) is a permanent `SendFailed`.
"""
from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

import logging
from datetime import date

from bots.slack.agenda_views import agenda_message, request_message
from bots.slack.messages import CHANNEL, render
from bots.slack.weekly_views import weekly_message
from config.settings import Settings
from core.booking.provider_day import ProviderDay
from core.conversation.messages import Reply
from core.notifications.sender import Attachment, Sender, SendFailed
from core.notifications.weekly import WeeklySummary

log = logging.getLogger(__name__)

# Slack errors that mean this person cannot get a DM from the app, now or on a retry.
PERMANENT_ERRORS = frozenset({
    "user_not_found", "users_not_found", "account_inactive", "user_disabled", "user_not_visible",
    "cannot_dm_bot", "channel_not_found", "is_archived", "not_in_channel", "restricted_action",
    "messages_tab_disabled", "invalid_users",
})


class SlackSender(Sender):
    """Sends one `Reply` to a Slack user (by user id) as a DM from the app; returns the message's `ts`."""

    channel = CHANNEL
    agendas = True  # providers work in Slack: their agenda and notes about their clients come here

    def __init__(self, client: WebClient, *, rate_limit_retries: int = 3):
        self.client = client
        if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
            client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries))

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackSender:
        return cls(WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_base_url, timeout=10))

    def send(self, recipient: str, reply: Reply) -> str | None:
        return self.send_blocks(recipient, render(reply))

    def send_blocks(self, recipient: str, message: dict) -> str | None:
        """Post `chat.postMessage` arguments (text and Block Kit) in the person's DM with the app."""
        return self._post(recipient, message)[1]

    def send_file(self, recipient: str, reply: Reply, attachment: Attachment) -> str | None:
        """The reply, then the file in the same DM. The message is what counts: if only the file fails,
        that is logged and not raised, so a retry does not send the message twice."""
        channel, ts = self._post(recipient, render(reply))
        try:
            self.client.files_upload_v2(channel=channel, content=attachment.content, filename=attachment.filename,
                                        title=attachment.filename)
        except (SlackApiError, OSError) as exc:
            log.warning("Slack did not take %s for %s: %s", attachment.filename, recipient, exc)
        return ts

    def _post(self, recipient: str, message: dict) -> tuple[str, str | None]:
        try:
            channel = self.client.conversations_open(users=recipient)["channel"]["id"]
            posted = self.client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            raise SendFailed(f"Slack refused the message to {recipient}: {error}",
                             permanent=error in PERMANENT_ERRORS) from exc
        except OSError as exc:  # connection refused, DNS, timeout: worth another try later
            raise SendFailed(f"could not reach Slack: {exc}") from exc
        return channel, posted.get("ts")


class SlackAgendaPoster:
    """The daily agenda (`core.notifications.ports.AgendaPoster`): the same blocks and buttons as `/agenda`."""

    channel = CHANNEL

    def __init__(self, sender: SlackSender, workday: ProviderDay):
        self.sender = sender
        self.workday = workday

    def post_agenda(self, provider_id: int, recipient: str, day: date) -> str | None:
        """`recipient` is the provider's Slack user id, as `Outbox.route_provider` found it."""
        provider = self.workday.by_slack_user(recipient)
        if provider is None or provider.id != provider_id:
            raise SendFailed(f"Slack user {recipient} is not provider {provider_id} any more", permanent=True)
        return self.sender.send_blocks(recipient, agenda_message(self.workday.agenda(provider, day)))

    def post_weekly(self, provider_id: int, recipient: str, summary: WeeklySummary) -> str | None:
        """The provider's week just ended (`core.notifications.ports.WeeklyPoster`)."""
        provider = self.workday.by_slack_user(recipient)
        if provider is None or provider.id != provider_id:
            raise SendFailed(f"Slack user {recipient} is not provider {provider_id} any more", permanent=True)
        return self.sender.send_blocks(recipient, weekly_message(summary))

    def post_request(self, provider_id: int, recipient: str, appointment_id: int) -> str | None:
        """A request awaiting approval (`core.notifications.ports.RequestPoster`), with Approve and Decline."""
        provider = self.workday.by_slack_user(recipient)
        if provider is None or provider.id != provider_id:
            raise SendFailed(f"Slack user {recipient} is not provider {provider_id} any more", permanent=True)
        item = self.workday.item(provider, appointment_id)
        return self.sender.send_blocks(recipient, request_message(item, provider.timezone, self.workday.clock()))
