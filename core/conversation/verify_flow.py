"""Proving a contact before a booking, for visitors who could be anyone (the public web chat).

When the business asks for it (`verifyWebContact`), a visitor whose messages carry an origin
(an edge where anyone can make up a sender) and who is not a client yet is asked, at "yes, book
it", for a mobile number or an email address; a six-digit code goes there, and only the right
code books. The visitor's chat is then tied to whoever holds that number or address, so a
returning client finds their own appointments. Codes are kept hashed in the conversation's
state, expire after ten minutes, allow five tries, and are capped per address and per origin.
Each handler returns the next state; once the code is right, the booking goes ahead through
the `book` handler the flow passes in (this module does not import the booking flow).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Callable

from core.booking import errors, setup_writes
from core.conversation.contact_flow import EMAIL, PHONE  # one reading of an address or a number
from core.conversation.state import ASK_CODE, ASK_CONTACT, IDLE, State
from core.conversation.turn import Turn

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
CODE = re.compile(r"\b(\d{6})\b")


def needed(turn: Turn) -> bool:
    """Whether this booking waits for a proven contact first."""
    return turn.catalogue.verify_web_contact and turn.inbound.origin is not None and turn.client.id is None


def start(turn: Turn) -> State:
    """At "yes, book it": ask for a number or address to send a code to."""
    kinds = turn.desk.codes.kinds if turn.desk.codes is not None else frozenset()
    if not kinds:
        turn.convo.reset()
        turn.say("Sorry, bookings here need a quick check of your phone or email, and that isn't "
                 "available right now. Please call us to book.")
        return IDLE
    turn.say(f"Nearly done. To make sure bookings are real, I'll send you a 6-digit code: what's your "
             f"{_what(kinds)}?")
    return ASK_CONTACT


def answer(turn: Turn, book: Callable[[Turn], State]) -> State | None:
    """In ASK_CONTACT or ASK_CODE: take the contact or the code; None when they moved on to something else.

    `book` goes on with the booking once the code is right (`booking_flow.confirm`)."""
    if turn.state == ASK_CONTACT:
        return _take_contact(turn)
    if turn.state == ASK_CODE:
        return _take_code(turn, book)
    return None


def _take_contact(turn: Turn) -> State | None:
    text, kinds = turn.heard.text, turn.desk.codes.kinds
    email, phone = EMAIL.search(text), PHONE.search(text)
    if email is None and phone is None:
        if turn.heard.intent is not None or turn.heard.no:
            return None  # they moved on
        turn.say(f"Sorry, I need your {_what(kinds)} to send the code to (or say \"start over\").")
        return ASK_CONTACT
    kind = "email" if email is not None else "phone"
    if kind not in kinds:
        turn.say(f"Sorry, I can only send codes to your {_what(kinds)}.")
        return ASK_CONTACT
    try:
        address = email[0].lower() if email is not None else setup_writes.normalise_phone(phone[0])
    except errors.InvalidRequest:
        turn.say("That number doesn't look right. Please give it with its country code, like +44 7700 900123.")
        return ASK_CONTACT
    return _send(turn, kind, address)


def _send(turn: Turn, kind: str, address: str) -> State:
    """Send a code: ASK_CODE once it is on its way, else still where the turn was."""
    wait = turn.desk.allowed("codes", address) or turn.desk.allowed("codes_ip", turn.inbound.origin)
    if wait is not None:
        turn.say(f"I've sent several codes already. Please try again in {max(1, wait // 60)} minutes.")
        return turn.state
    code = f"{secrets.randbelow(10**6):06d}"
    text = f"{code} is your code to book with {turn.catalogue.business_name}. It expires in 10 minutes."
    if not turn.desk.codes.send_code(kind, address, text):
        turn.say(f"Sorry, I couldn't send a code to that {'address' if kind == 'email' else 'number'}. "
                 "Is there another one I can use?")
        return turn.state
    turn.convo.verifying = {"kind": kind, "address": address, "digest": _digest(code, address),
                            "expires": (turn.now + CODE_TTL).isoformat(), "tries": 0}
    turn.say(f"I've sent a code to {_masked(kind, address)}. What is it? (Say \"new code\" if it doesn't arrive.)")
    return ASK_CODE


def _take_code(turn: Turn, book: Callable[[Turn], State]) -> State | None:
    pending, text = turn.convo.verifying or {}, turn.heard.text
    if re.search(r"\b(new|another|resend|send again)\b", text, re.IGNORECASE) and pending:
        return _send(turn, pending["kind"], pending["address"])
    found = CODE.search(text)
    if found is None:
        if turn.heard.intent is not None or turn.heard.no:
            return None
        turn.say("Please type the 6-digit code I sent (or say \"new code\").")
        return ASK_CODE
    if not pending or datetime.fromisoformat(pending["expires"]) < turn.now:
        turn.convo.verifying = None
        turn.say("That code has expired. What number or address shall I send a new one to?")
        return ASK_CONTACT
    if not hmac.compare_digest(_digest(found[1], pending["address"]), pending["digest"]):
        pending["tries"] += 1
        if pending["tries"] < MAX_TRIES:
            turn.say("That code isn't right. Please check it and try again.")
            return ASK_CODE
        turn.convo.verifying = None
        turn.say("That's too many wrong codes. Give me your number or address again for a new one.")
        return ASK_CONTACT
    turn.client = turn.desk.enroll_verified(turn.inbound.channel, turn.inbound.sender,
                                            turn.client.name or turn.inbound.display_name,
                                            **{"email" if pending["kind"] == "email" else "phone": pending["address"]})
    turn.convo.verifying = None
    return book(turn)


def _digest(code: str, address: str) -> str:
    return hashlib.sha256(f"{address}\0{code}".encode()).hexdigest()


def _what(kinds: frozenset[str]) -> str:
    return " or ".join(word for kind, word in (("phone", "mobile number"), ("email", "email address"))
                       if kind in kinds)


def _masked(kind: str, address: str) -> str:
    if kind == "email":
        name, _, domain = address.partition("@")
        return f"{name[:2]}…@{domain}"
    return f"…{address[-4:]}"
