"""What each notification says: buttons where the channel has them, letters where reminders are answered so.

Times are shown in the reader's zone with the zone named. A confirmation (or a move) carries
the appointment's .ics where the channel can take a file.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.booking.access import CLIENT, role_of
from core.conversation import choices
from core.conversation.messages import Choice, Reply
from core.conversation.render import clock, day_label, when, zone_label
from core.notifications.calendar import CalendarEntry, ics
from core.notifications.attachment import Attachment

LETTER_ACTIONS = "Reply C to confirm, X to cancel, R to move."  # never the bare word CANCEL: it opts out


@dataclass(frozen=True)
class AppointmentFacts:
    """An appointment as a notification describes it, read when the notification is sent."""

    id: int
    version: int
    status: str
    start: datetime
    end: datetime
    code: str
    service: str
    provider: str
    provider_zone: str
    provider_id: int
    client_id: int
    client_name: str
    client_zone: str
    business: str
    cancellation_reason: str | None = None
    request_expires: datetime | None = None  # a request awaiting approval lapses then, unless answered

    def by(self, now: datetime) -> str:
        """When a request lapses, in the client's zone (the start's wording)."""
        return when(self.request_expires or self.start, self.client_zone, now)

    def at(self, now: datetime, zone: str | None = None) -> str:
        zone = zone or self.client_zone
        return f"{when(self.start, zone, now)} {zone_label(zone)}"


def compose(kind: str, facts: AppointmentFacts, now: datetime, payload: dict, *,
            buttons: bool = True, letters: bool = False) -> tuple[Reply, Attachment | None]:
    """The message for the client and, where it helps, the .ics to go with it.

    `buttons` and `letters` are the sender's (`core.notifications.sender.Sender`): without buttons a
    notice's choices are said in words; with letters a reminder is answered C, X or R."""
    what = f"{facts.service} with {facts.provider}"
    if kind == "confirmation":
        text = f"Booked: {what}, {facts.at(now)}. Your confirmation code is {facts.code}."
        return Reply(text), calendar_file(facts, now)
    if kind in REQUEST_KINDS:
        return request_notice(kind, facts, now, buttons)
    if kind == "moved":
        was = payload.get("previous_start")
        before = f" (was {when(datetime.fromisoformat(was), facts.client_zone, now)})" if was else ""
        return Reply(f"Moved: your {what} is now {facts.at(now)}{before}."), calendar_file(facts, now)
    if kind == "cancelled" and role_of(payload.get("by") or "") == CLIENT:  # the client's own doing
        return Reply(f"Cancelled, as you asked: your {what}, {facts.at(now)}. "
                     "Message me whenever you'd like to book another time."), None
    if kind == "cancelled":  # sent only when the business cancelled: a client who cancels is told in the chat
        reason = f" Reason: {facts.cancellation_reason.rstrip('.')}." if facts.cancellation_reason else ""
        return Reply(f"Sorry, {facts.business} has had to cancel your {what}, {facts.at(now)}.{reason} "
                     "Message me whenever you'd like to book another time.",
                     _choices(buttons, ("Book another time", choices.intent("book")))), None
    if kind == "no_show":
        return Reply(f"We missed you at your {what}, {facts.at(now)}. Would you like to book another time?",
                     _choices(buttons, ("Book again", choices.rebook(facts.id)))), None
    if kind == "follow_up":
        text = f"Thanks for visiting {facts.business}! We hope you enjoyed your {facts.service}."
        if not buttons:
            return Reply(f"{text} To book again, just text \"book a {facts.service.lower()}\"."), None
        return Reply(text + " Book your next one in one tap:",
                     (Choice(f"Book another {facts.service.lower()}", choices.rebook(facts.id)),)), None
    if kind == "reminder":
        return reminder(facts, now, letters=letters), None
    raise ValueError(f"no text for a {kind!r} notification")


REQUEST_KINDS = ("requested", "approved", "declined", "expired")


def request_notice(kind: str, facts: AppointmentFacts, now: datetime,
                   buttons: bool) -> tuple[Reply, Attachment | None]:
    """A request for a service the business approves (`core.booking.approval`): made, approved, declined, lapsed."""
    what, at = f"{facts.service} with {facts.provider}", facts.at(now)
    if kind == "requested":
        return Reply(f"Requested: {what}, {at}. {facts.business} approves each {facts.service} booking, so it isn't "
                     f"confirmed yet; the time is held for you, and I'll message you as soon as they answer "
                     f"(by {facts.by(now)} at the latest)."), None
    if kind == "approved":
        return Reply(f"Confirmed! {facts.business} has approved your {what}, {at}. "
                     f"Your confirmation code is {facts.code}."), calendar_file(facts, now)
    opening = (f"Sorry, {facts.business} can't take your request for a {what}, {at}"
               if kind == "declined" else
               f"Sorry, {facts.business} couldn't answer your request for a {what}, {at} in time")
    return Reply(f"{opening}, so it isn't booked. Would you like to pick another time?",
                 _choices(buttons, ("Book another time", choices.intent("book")))), None


def reminder(facts: AppointmentFacts, now: datetime, *, letters: bool = False) -> Reply:
    text = f"Reminder: your {facts.service} with {facts.provider} is {facts.at(now)}."
    if letters:
        return Reply(f"{text} {LETTER_ACTIONS}")
    return Reply(text, (Choice("Confirm", choices.remind("confirm", facts.id)), Choice("Cancel", choices.remind("cancel", facts.id)),
                        Choice("Move", choices.remind("move", facts.id))))


def provider_note(facts: AppointmentFacts, kind: str, payload: dict, now: datetime) -> Reply:
    """For the provider, in their zone: a client cancelled or moved."""
    zone = facts.provider_zone
    at = f"{day_label(facts.start, zone, now)} at {clock(facts.start, zone)} ({zone_label(zone)})"
    if kind == "cancelled":
        return Reply(f"{facts.client_name} cancelled their {facts.service} on {at}. The time is free again.")
    if kind == "request":  # where no buttons can be shown: approved or declined over the REST API
        return Reply(f"{facts.client_name} asks for a {facts.service} on {at}, which needs your approval. "
                     f"It lapses unanswered at {clock(facts.request_expires or facts.start, zone)}.")
    was = payload.get("previous_start")
    before = f" from {day_label(datetime.fromisoformat(was), zone, now)} at " \
             f"{clock(datetime.fromisoformat(was), zone)}" if was else ""
    return Reply(f"{facts.client_name} moved their {facts.service}{before} to {at}.")


def calendar_file(facts: AppointmentFacts, now: datetime) -> Attachment:
    return ics(CalendarEntry(facts.id, facts.version, facts.start, facts.end, f"{facts.service} with {facts.provider}",
                             facts.business, f"Confirmation code {facts.code}. Booked with Slotline."), now=now)


def _choices(buttons: bool, *pairs: tuple[str, str]) -> tuple[Choice, ...]:
    # Without buttons (SMS) a numbered line could only be answered inside a conversation; a sentence says enough.
    return () if not buttons else tuple(Choice(label, value) for label, value in pairs)
