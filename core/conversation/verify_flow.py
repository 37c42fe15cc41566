"""Proving a contact before a booking, for visitors who could be anyone (the public web chat).

When the business asks for it (`verifyWebContact`), a visitor whose messages carry an origin
(an edge where anyone can make up a sender) and who is not a client yet is asked, at "yes, book
it", for a mobile number or an email address; a six-digit code goes there, and only the right
code books. The visitor's chat is then tied to whoever holds that number or address, so a
returning client finds their own appointments. Codes are kept hashed in the conversation's
state, expire after ten minutes, allow five tries, and are capped per address and per origin.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from core.booking import catalog, errors
from core.conversation.state import CONFIRMING
from core.conversation.turn import Turn

ASK_CONTACT = "ask_contact"  # waiting for a number or address to send a code to
ASK_CODE = "ask_code"        # a code is on its way: waiting for it
STATES = (ASK_CONTACT, ASK_CODE)
CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
EMAIL = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\+?\d[\d ()-]{6,18}\d")
CODE = re.compile(r"\b(\d{6})\b")


def needed(turn: Turn) -> bool:
    """Whether this booking waits for a proven contact first."""
    return turn.catalogue.verify_web_contact and turn.inbound.origin is not None and turn.client.id is None


def start(turn: Turn) -> None:
    kinds = turn.desk.codes.kinds if turn.desk.codes is not None else frozenset()
    if not kinds:
        turn.convo.reset()
        return turn.say("Sorry, bookings here need a quick check of your phone or email, and that isn't "
                        "available right now. Please call us to book.")
    turn.convo.state = ASK_CONTACT
    turn.say(f"Nearly done. To make sure bookings are real, I'll send you a 6-digit code: what's your "
             f"{_what(kinds)}?")


def handle(turn: Turn) -> bool:
    """Answer while a contact is being verified; False when the message is about something else."""
    if turn.convo.state == ASK_CONTACT:
        return _take_contact(turn)
    if turn.convo.state == ASK_CODE:
        return _take_code(turn)
    return False


def _take_contact(turn: Turn) -> bool:
    text, kinds = turn.heard.text, turn.desk.codes.kinds
    email, phone = EMAIL.search(text), PHONE.search(text)
    if email is None and phone is None:
        if turn.heard.intent is not None or turn.heard.no:
            return False  # they moved on
        turn.say(f"Sorry, I need your {_what(kinds)} to send the code to (or say \"start over\").")
        return True
    kind = "email" if email is not None else "phone"
    if kind not in kinds:
        turn.say(f"Sorry, I can only send codes to your {_what(kinds)}.")
        return True
    try:
        address = email[0].lower() if email is not None else catalog.normalise_phone(phone[0])
    except errors.InvalidRequest:
        turn.say("That number doesn't look right. Please give it with its country code, like +44 7700 900123.")
        return True
    _send(turn, kind, address)
    return True


def _send(turn: Turn, kind: str, address: str) -> None:
    wait = turn.desk.allowed("codes", address) or turn.desk.allowed("codes_ip", turn.inbound.origin)
    if wait is not None:
        turn.say(f"I've sent several codes already. Please try again in {max(1, wait // 60)} minutes.")
        return
    code = f"{secrets.randbelow(10**6):06d}"
    text = f"{code} is your code to book with {turn.catalogue.business_name}. It expires in 10 minutes."
    if not turn.desk.codes.send_code(kind, address, text):
        turn.say(f"Sorry, I couldn't send a code to that {'address' if kind == 'email' else 'number'}. "
                 "Is there another one I can use?")
        return
    turn.convo.verifying = {"kind": kind, "address": address, "digest": _digest(code, address),
                            "expires": (turn.now + CODE_TTL).isoformat(), "tries": 0}
    turn.convo.state = ASK_CODE
    turn.say(f"I've sent a code to {_masked(kind, address)}. What is it? (Say \"new code\" if it doesn't arrive.)")


def _take_code(turn: Turn) -> bool:
    pending, text = turn.convo.verifying or {}, turn.heard.text
    if re.search(r"\b(new|another|resend|send again)\b", text, re.IGNORECASE) and pending:
        _send(turn, pending["kind"], pending["address"])
        return True
    found = CODE.search(text)
    if found is None:
        if turn.heard.intent is not None or turn.heard.no:
            return False
        turn.say("Please type the 6-digit code I sent (or say \"new code\").")
        return True
    if not pending or datetime.fromisoformat(pending["expires"]) < turn.now:
        turn.convo.state, turn.convo.verifying = ASK_CONTACT, None
        turn.say("That code has expired. What number or address shall I send a new one to?")
        return True
    if not hmac.compare_digest(_digest(found[1], pending["address"]), pending["digest"]):
        pending["tries"] += 1
        if pending["tries"] >= MAX_TRIES:
            turn.convo.state, turn.convo.verifying = ASK_CONTACT, None
            turn.say("That's too many wrong codes. Give me your number or address again for a new one.")
        else:
            turn.say("That code isn't right. Please check it and try again.")
        return True
    return _verified(turn, pending)


def _verified(turn: Turn, pending: dict) -> bool:
    from core.conversation import booking_flow  # booking_flow calls this module: import at use

    address = pending["address"]
    turn.client = turn.desk.enroll_verified(turn.inbound.channel, turn.inbound.sender,
                                            turn.client.name or turn.inbound.display_name,
                                            **{"email" if pending["kind"] == "email" else "phone": address})
    turn.convo.verifying, turn.convo.state = None, CONFIRMING
    booking_flow.confirm(turn)
    return True


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
