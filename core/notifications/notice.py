"""A notification in full, for a channel that shows more than a chat message.

An email has a subject, comes from the business by name, carries the appointment as a calendar
invitation and has buttons that link to the appointment's manage page; an SMS may carry that
link when it fits. `Notice` holds all of it, channel-neutral, and a `NoticeSender` (see
`sender`) renders it: bots/email as MIME, bots/sms as one text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.conversation.messages import Reply
from core.notifications.calendar import CalendarEntry
from core.notifications.links import Links
from core.notifications.texts import AppointmentFacts

WITH_INVITATION = ("confirmation", "moved", "cancelled", "approved")  # a cancelled one removes the event
WITH_MANAGE_LINK = ("confirmation", "moved", "reminder", "requested", "approved")
REMINDER_ACTIONS = (("Confirm", "confirm"), ("Cancel", "cancel"), ("Move", "move"))


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Notice:
    """What to tell one client about one appointment, with everything a richer channel can show."""

    kind: str
    reply: Reply  # what a chat would say
    subject: str
    business: str  # the message comes in this name
    client_name: str
    calendar: CalendarEntry | None = None  # an invitation (a cancellation when `calendar.cancelled`)
    manage_url: str | None = None
    actions: tuple[Link, ...] = ()  # buttons, each a link


def build(kind: str, facts: AppointmentFacts, reply: Reply, now: datetime, links: Links | None) -> Notice:
    manage = links.manage_url(facts.id) if links is not None and kind in WITH_MANAGE_LINK else None
    return Notice(kind=kind, reply=reply, subject=subject(kind, facts, now), business=facts.business,
                  client_name=facts.client_name,
                  calendar=calendar_entry(facts, cancelled=kind == "cancelled") if kind in WITH_INVITATION else None,
                  manage_url=manage, actions=_actions(kind, manage, links))


def subject(kind: str, facts: AppointmentFacts, now: datetime) -> str:
    what, at = f"{facts.service} with {facts.provider}", facts.at(now)
    return {
        "confirmation": f"Booked: {what}, {at}",
        "moved": f"Moved: {what}, now {at}",
        "cancelled": f"Cancelled: {what}, {at}",
        "reminder": f"Reminder: {what}, {at}",
        "no_show": f"We missed you at your {facts.service}",
        "follow_up": f"Thanks for visiting {facts.business}",
        "requested": f"Requested: {what}, {at} (awaiting approval)",
        "approved": f"Confirmed: {what}, {at}",
        "declined": f"Not booked: your request for {what}, {at}",
        "expired": f"Not booked: your request for {what}, {at}",
    }.get(kind, f"A message from {facts.business}")


def calendar_entry(facts: AppointmentFacts, *, cancelled: bool = False) -> CalendarEntry:
    return CalendarEntry(facts.id, facts.version, facts.start, facts.end, f"{facts.service} with {facts.provider}",
                         facts.business, f"Confirmation code {facts.code}. Booked with Slotline.", cancelled)


def _actions(kind: str, manage: str | None, links: Links | None) -> tuple[Link, ...]:
    if manage and kind == "reminder":
        # Each opens the same page with that action offered first; the page acts only on a POST.
        return tuple(Link(label, f"{manage}?do={action}") for label, action in REMINDER_ACTIONS)
    if manage:
        return (Link("Change or cancel", manage),)
    if links is not None and links.base_url and kind in ("cancelled", "no_show", "follow_up", "declined", "expired"):
        return (Link("Book again", f"{links.base_url}/chat"),)
    return ()
