"""How the client wants to hear from us, said in the chat: "text me instead", "email me", "no more texts".

Asked first for every typed message (`flow.respond`); it answers only these requests (returning
the next state) and otherwise leaves the turn alone (None). "Email me" (or "text me") with
nothing on file asks for the address (ASK_EMAIL), and an address given in the same breath
("email me at ana@example.com") is taken at once. Choosing a channel is consent to it, so it also lifts that channel's opt-out in our
records (Twilio still enforces a STOP of its own until START). See `core.notifications.contacts`
for who hears on what.
"""
from __future__ import annotations

import re

from core.booking import errors, setup_writes
from core.conversation.state import ASK_EMAIL, IDLE, State
from core.conversation.turn import Turn
from core.db.models import User
from core.db.session import UnitOfWork
from core.notifications import contacts

OTHER_BUSINESS = frozenset({"book", "browse", "cancel", "reschedule", "list", "waitlist"})
EMAIL = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\+?\d[\d ()-]{6,18}\d")
_NO_MORE = r"\b(?:no more|stop(?: sending(?: me)?)?|don'?t send(?: me)?(?: any)?(?: more)?|no)"
REQUESTS = (  # checked in this order; the first that matches wins
    ("stop:sms", rf"{_NO_MORE} (?:texts|text messages|sms)\b|\bstop texting me\b|\bdon'?t (?:text|sms) me\b"),
    ("stop:email", rf"{_NO_MORE} e-?mails\b|\bstop e-?mailing me\b|\bdon'?t e-?mail me\b"),
    ("prefer:sms", r"\b(?:text|sms) me\b|\b(?:by|via|prefer|use|switch to|over) (?:texts?|sms)\b"),
    ("prefer:email", r"\be-?mail me\b|\b(?:by|via|prefer|use|switch to|over) e-?mails?\b"),
    ("prefer:here", r"\b(?:message|contact|remind|reach) me (?:here|in this chat|on this app)\b|\buse this chat\b"),
)


def request(turn: Turn) -> State | None:
    """Answer a request about how to reach them; None when the message is about something else."""
    text = turn.heard.text
    clean = " ".join(text.lower().replace("’", "'").split())
    asked = next((name for name, pattern in REQUESTS if re.search(pattern, clean)), None)
    if asked is None:
        return None
    action, _, channel = asked.partition(":")
    if action == "prefer" and (turn.heard.intent in OTHER_BUSINESS or turn.heard.service_id is not None):
        return None  # "email me my appointments", "text me a haircut slot": the request is the rest
    if action == "stop":
        _stop(turn, channel)
        return turn.state
    if channel == "here":
        return _prefer(turn, turn.inbound.channel, None, staying=turn.state)
    return _prefer(turn, channel, _inline_address(channel, text), staying=turn.state)


def take_email(turn: Turn) -> State | None:
    """In ASK_EMAIL: the address they were asked for; None (the task forgotten) when they moved on."""
    found = EMAIL.search(turn.heard.text)
    if found is None:
        if turn.heard.intent is not None or turn.heard.no:
            turn.convo.reset()  # they moved on: let the rest of the flow answer, from IDLE
            return None
        turn.say("That doesn't look like an email address. What is it? (Like ana@example.com, or say "
                 "\"never mind\".)")
        return ASK_EMAIL
    turn.convo.reset()
    return _prefer(turn, contacts.EMAIL, found[0], staying=IDLE)


def _prefer(turn: Turn, channel: str, given: str | None, *, staying: State) -> State:
    if turn.desk.channels is not None and channel not in turn.desk.channels:
        turn.say(f"Sorry, we can't reach you by {_word(channel)} yet. I'll keep messaging you here.")
        return staying
    user_id = _user_id(turn)
    if channel in (contacts.SMS, contacts.EMAIL):
        address = _store(turn, user_id, channel, given) if given else _on_file(turn, user_id, channel)
        if address is None:
            return _ask(turn, channel, staying=staying)
        contacts.set_opt_out(turn.desk.session_factory, channel, address, False)  # asking for it is consent
        where = f" at {address}"
    else:
        where = " here"
    contacts.prefer(turn.desk.session_factory, user_id, channel)
    turn.say(f"OK, I'll {_verb(channel)} you{where} from now on: reminders and updates included.")
    return staying


def _stop(turn: Turn, channel: str) -> None:
    user_id = _user_id(turn)
    address = _on_file(turn, user_id, channel)
    if address is not None:
        contacts.set_opt_out(turn.desk.session_factory, channel, address, True)
    card = _card(turn, user_id)
    if card is not None and card.preferred == channel:
        contacts.prefer(turn.desk.session_factory, user_id, None)
    turn.say(f"OK, no more {_word(channel)}s. I'll let you know about your appointments another way; "
             f"say \"{_verb(channel)} me\" if you change your mind.")


def _ask(turn: Turn, channel: str, *, staying: State) -> State:
    if channel == contacts.EMAIL:
        turn.say("Happy to. What's your email address?")
        return ASK_EMAIL
    turn.say("I don't have a mobile number for you. Say \"text me at\" and your number, with its country code "
             "(like +44 7700 900123).")
    return staying


def beyond_this_chat(turn: Turn, user_id: int) -> str:
    """For a web chat visitor we can reach only in the chat, how to be told even with the page closed
    ("" when they can be reached otherwise, or the business has no email or SMS to offer)."""
    if turn.inbound.channel != "web":
        return ""
    offered = [c for c in (contacts.EMAIL, contacts.SMS) if turn.desk.channels is None or c in turn.desk.channels]
    card = _card(turn, user_id)
    if not offered or (card is not None and any(card.at(c) for c in offered)):
        return ""
    ways = " or ".join(f"\"{_verb(c)} me at\" and your {'address' if c == contacts.EMAIL else 'number'}"
                       for c in offered)
    return f" I'll message you in this chat; to hear even when it's closed, say {ways}."


def _store(turn: Turn, user_id: int, channel: str, address: str) -> str | None:
    """Put the address they gave on file; None (and a word to them) when it can't be used."""
    key = "email" if channel == contacts.EMAIL else "phone"
    try:
        with UnitOfWork(turn.desk.session_factory, write=True) as uow:
            user = contacts.update_details(uow.session, uow.session.get(User, user_id), {key: address})
            uow.commit()
            return user.email if channel == contacts.EMAIL else user.phone
    except errors.BookingError:  # not a valid number, or another client's: say no more than that
        turn.say(f"Sorry, I can't use that {'address' if key == 'email' else 'number'}.")
        return None


def _inline_address(channel: str, text: str) -> str | None:
    found = (EMAIL if channel == contacts.EMAIL else PHONE).search(text)
    if found is None or channel == contacts.EMAIL:
        return found[0] if found else None
    try:
        return setup_writes.normalise_phone(found[0])
    except errors.InvalidRequest:
        return found[0]  # `_store` refuses it with a message


def _on_file(turn: Turn, user_id: int, channel: str) -> str | None:
    card = _card(turn, user_id)
    return next((a.recipient for a in card.at(channel)), None) if card is not None else None


def _card(turn: Turn, user_id: int) -> contacts.Reach | None:
    with UnitOfWork(turn.desk.session_factory) as uow:
        return contacts.reach(uow.session, user_id)


def _user_id(turn: Turn) -> int:
    return turn.client.id if turn.client.id is not None else turn.enrolled().id


def _word(channel: str) -> str:
    return {"sms": "text", "email": "email"}.get(channel, channel)


def _verb(channel: str) -> str:
    return {"sms": "text", "email": "email"}.get(channel, "message")
