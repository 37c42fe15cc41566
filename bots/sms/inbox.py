"""One verified Twilio SMS webhook in, one TwiML answer out.

Keywords first, as Twilio itself does: STOP and the other opt-out words record the opt-out and
answer nothing (Twilio sends its own confirmation); START and the other opt-in words clear it;
HELP and INFO get our help. An opted-out number gets no answer at all. Everything else is a
turn of the conversation, one `Reply` a `<Message>`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Protocol

import phonenumbers
from redis.exceptions import RedisError
from twilio.twiml.messaging_response import MessagingResponse

from bots.sms import keywords
from bots.sms.optouts import CHANNEL, OptOuts, masked
from bots.sms.render import render
from core.booking import errors, setup_writes
from core.conversation.assistant import Assistant
from core.conversation.errors import ConversationBusy
from core.conversation.messages import Inbound, Reply

log = logging.getLogger(__name__)
BUSY = Reply("Sorry, I'm still working on your last message. Please send that again in a moment.")
DOWN = Reply("Sorry, booking by text isn't available right now. Please try again a little later.")


class SeenStore(Protocol):
    """What remembers the platform message ids already answered (the conversation store)."""

    def first_time_seen(self, channel: str, message_id: str) -> bool: ...


class BadWebhook(ValueError):
    """The form lacks what every Twilio SMS webhook carries, or its From is not a phone number."""


class SmsInbox:
    """Answers inbound texts for the assistant. `first_time` says whether a MessageSid is new."""

    def __init__(self, assistant: Assistant | None, opt_outs: OptOuts, first_time: Callable[[str], bool]):
        self.assistant = assistant
        self.opt_outs = opt_outs
        self.first_time = first_time

    def answer(self, form: Mapping[str, str]) -> str:
        """TwiML for one webhook (an empty `<Response/>` when we say nothing). Raises BadWebhook."""
        phone, sid, body = parse(form)
        kind = keywords.keyword(body)
        was_out = self.opt_outs.is_opted_out(phone)
        if kind == "opt_in" and body.strip().upper() == "YES" and not was_out:
            kind = None  # "yes" also answers "Shall I book it?": a turn of the conversation unless it opts back in
        if was_out and kind not in ("opt_in", "opt_out"):
            log.info("not answering %s: the number has opted out of SMS", masked(phone))
            return twiml([])
        if kind is None:
            return self._converse(phone, sid, body)
        if not self.first_time(sid):
            return twiml([])
        if kind == "help":
            return twiml([Reply(keywords.HELP_TEXT)])
        self.opt_outs.set(phone, kind == "opt_out")
        return twiml([])  # Twilio confirms an opt-out or opt-in itself

    def _converse(self, phone: str, sid: str, body: str) -> str:
        if self.assistant is None:
            log.error("an SMS from %s arrived but the assistant needs Redis, which is not configured", masked(phone))
            return twiml([DOWN])
        inbound = Inbound(channel=CHANNEL, sender=phone, text=body, message_id=sid, phone=phone, letters=True)
        try:
            replies = self.assistant.handle(inbound)
        except ConversationBusy:
            return twiml([BUSY])
        return twiml(replies)


def first_time_by(store: SeenStore | None) -> Callable[[str], bool]:
    """`SmsInbox.first_time` over the conversation store. While Redis is away it cannot tell, and counts a
    MessageSid as new: an opt-out, opt-in or HELP recorded twice is harmless, and one refused would be lost."""
    if store is None:
        return lambda _sid: True

    def first_time(sid: str) -> bool:
        try:
            return store.first_time_seen(CHANNEL, sid)
        except RedisError:
            return True

    return first_time


def parse(form: Mapping[str, str]) -> tuple[str, str, str]:
    """(From in E.164, MessageSid, Body) of a Twilio SMS webhook."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid")
    raw = form.get("From")
    if not sid or not raw:
        raise BadWebhook("a Twilio SMS webhook carries From and MessageSid")
    return e164(raw, form.get("To")), sid, form.get("Body") or ""


def e164(raw: str, to: str | None = None) -> str:
    """The sender's number in E.164; a national form is read in the country of our own number (To)."""
    region = None
    if to:
        try:
            region = phonenumbers.region_code_for_country_code(phonenumbers.parse(to, None).country_code)
        except phonenumbers.NumberParseException:
            region = None
    try:
        return setup_writes.normalise_phone(raw, region)
    except errors.InvalidRequest as exc:
        raise BadWebhook(str(exc)) from None


def twiml(replies: list[Reply]) -> str:
    response = MessagingResponse()
    for reply in replies:
        response.message(render(reply))
    return str(response)
