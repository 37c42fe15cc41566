"""What a provider is told in Slack, in sentences: what an action did, or why it was refused. Pure.

The provider's day (`core.booking.provider_day`) answers with outcomes and typed refusals; here
they become Slack's words, with the slash command to try where what was written was unclear.
"""
from __future__ import annotations

from datetime import datetime

from core.booking.provider_day import (
    Answered, Cancelled, HoursPassed, Told, UnclearDay, UnclearHours, hours_label,
)
from core.conversation.render import clock, day_label

CHANNEL_NAMES = {"slack": "Slack", "telegram": "Telegram", "sms": "SMS", "web": "the web chat"}
AGENDA_EXAMPLE = "Try `/agenda`, `/agenda tomorrow` or `/agenda friday`."
BLOCK_EXAMPLE = "For example `/block 2-4pm friday` or `/block tomorrow 9:00-12:30`."


def refusal(exc: Exception) -> str:
    """A refusal as a sentence, and how to ask again when what the provider wrote was unclear."""
    text = str(exc) or "That didn't work."
    text = text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
    if isinstance(exc, UnclearDay):
        return f"{text} {AGENDA_EXAMPLE}"
    if isinstance(exc, (UnclearHours, HoursPassed)):
        return f"{text} {BLOCK_EXAMPLE}"
    return text


def told(outcome: Told) -> str:
    """Whether the client heard (or will hear) of it, and where; how to reach them when nothing does."""
    if outcome.channel is None:
        reach = f"; you can reach them at {' or '.join(outcome.contacts)}" if outcome.contacts else ""
        return f"I couldn't tell {outcome.client} ({outcome.problem}){reach}."
    where = CHANNEL_NAMES.get(outcome.channel, outcome.channel)
    return f"I'll tell {outcome.client} on {where}." if outcome.later else f"I told {outcome.client} on {where}."


def cancelled(outcome: Cancelled, zone: str) -> str:
    """A cancellation done (or found done already), the time in the provider's zone."""
    item = outcome.item
    if outcome.told is None:
        return f"{item.client}'s {item.service} was already cancelled."
    when = f"{day_label(item.start, zone)} at {clock(item.start, zone)}"
    return f"Cancelled {item.client}'s {item.service} on {when}; the time is free again. {told(outcome.told)}"


def answered(outcome: Answered, zone: str) -> str:
    """A request approved or declined, the time in the provider's zone."""
    item = outcome.item
    when = f"{day_label(item.start, zone)} at {clock(item.start, zone)}"
    if outcome.outcome == "approved":
        return f"Approved {item.client}'s {item.service} on {when}. {told(outcome.told)}"
    return f"Declined {item.client}'s {item.service} on {when}; the time is free again. {told(outcome.told)}"


def blocked(start: datetime, end: datetime, zone: str) -> str:
    """Time off saved."""
    return f"Blocked {hours_label(start, end, zone)}. Nobody can book you then."
