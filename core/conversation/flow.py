"""The conversation's state machine: one turn in, the next state and replies out.

`respond` first handles a picked option, then what the current state is waiting for, then
what the message asks for anywhere (help, start over, cancel, my appointments...), and
last any facts it gave (a service, a provider, a time), which continue a booking.
Drawn in flow.md beside this file.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from core.conversation import booking_flow as booking
from core.conversation import contact_flow as contact
from core.conversation import choices
from core.conversation import manage_flow as manage
from core.conversation import reminder_flow as reminders
from core.conversation import verify_flow
from core.conversation.state import (
    ASK_NAME, ASK_SERVICE, ASK_WHEN, CONFIRM_CANCEL, CONFIRMING, IDLE, OFFER_WAITLIST, OFFERING, PICK_APPOINTMENT,
)
from core.conversation.render import clock
from core.conversation.turn import Turn

HELP = ("I can book, move or cancel appointments, show yours, and tell you what's free. Try "
        "\"a haircut with Sam tomorrow after 4\", \"what's free on Saturday?\", \"move my appointment\" "
        "or \"cancel my haircut\". Say \"start over\" at any time.")
NAME = re.compile(r"^(?:(?:my name is|i'?m|i am|it'?s|call me|name'?s)\s+)?([A-Za-zÀ-ÿ' .-]{2,60})$", re.IGNORECASE)


def respond(turn: Turn) -> None:
    if turn.inbound.choice is not None:
        return on_choice(turn, turn.inbound.choice)
    heard = turn.heard
    if verify_flow.handle(turn):  # a number or address to send a code to, or the code
        return None
    if contact.handle(turn):  # "text me instead", "email me", "no more texts"
        return None
    if reminders.letter(turn):
        return None
    if heard.intent == "restart":
        turn.convo.reset()
        return turn.menu("OK, let's start again. What would you like to do?")
    if heard.intent == "help":
        return turn.say(HELP, [("Book an appointment", choices.intent("book")), ("My appointments", choices.intent("list"))])
    if not waiting_answer(turn):
        on_intent(turn)


def on_choice(turn: Turn, value: str) -> None:
    picked, convo = choices.decode(value), turn.convo
    if picked is None or not _still_valid(turn, picked):
        # A value we never wrote, or an old button from an earlier step: say so rather than act on it.
        turn.say("That option has expired. Here is where we are:" if picked is None
                 else "That option is from an earlier step. Here is where we are:")
        return repeat(turn)
    kind = picked.kind
    if kind == "intent":
        return start_intent(turn, picked.word)
    if kind == "remind":
        return reminders.act(turn, picked.word, picked.number)
    if kind == "rebook":
        return reminders.rebook(turn, picked.number)
    if kind == "svc":
        convo.service_id, convo.intent = picked.number, convo.intent or "book"
        return booking.advance(turn)
    if kind == "when":
        booking.when_choice(turn, picked.word)
        return booking.offer(turn)
    if kind == "slot":
        return booking.pick(turn, picked.number)
    if kind == "appt":
        return manage.pick_appointment(turn, picked.number)
    if kind in ("later", "otherday"):
        return booking.later(turn) if kind == "later" else booking.other_day(turn)
    if kind in ("yes", "no"):
        return answer_yes_no(turn, kind == "yes")
    convo.reset()  # restart
    return turn.menu("OK. Anything else I can do for you?")


def _still_valid(turn: Turn, picked: choices.Picked) -> bool:
    """Whether a well-formed choice fits where the conversation is now (an old button may not)."""
    state = turn.convo.state
    return {
        "svc": picked.number in turn.catalogue.services,
        "when": turn.convo.service_id is not None,
        "slot": state == OFFERING,
        "appt": state == PICK_APPOINTMENT,
        "later": state == OFFERING, "otherday": state == OFFERING,
        "yes": state in (CONFIRMING, CONFIRM_CANCEL, OFFER_WAITLIST),
        "no": state in (CONFIRMING, CONFIRM_CANCEL, OFFER_WAITLIST),
    }.get(picked.kind, True)


def waiting_answer(turn: Turn) -> bool:
    """Handle what the current state asked for; False when the message is about something else."""
    convo, heard = turn.convo, turn.heard
    if heard.number is not None and convo.choices and convo.state != IDLE:
        index = len(convo.choices) - 1 if heard.number == -1 else heard.number - 1
        if 0 <= index < len(convo.choices):
            on_choice(turn, convo.choices[index][1])
            return True
    if convo.state == ASK_NAME:
        return take_name(turn)
    if convo.state in (CONFIRMING, CONFIRM_CANCEL, OFFER_WAITLIST) and (heard.yes or heard.no) \
            and not has_new_facts(turn):
        if heard.no and heard.later and convo.state == CONFIRMING:
            convo.state = OFFERING
            booking.later(turn)
        else:
            answer_yes_no(turn, heard.yes and not heard.no)
        return True
    if convo.state == OFFERING and not has_new_facts(turn):
        if heard.later or heard.no:
            booking.later(turn)
            return True
        if heard.other_day:
            booking.other_day(turn)
            return True
    if convo.state == OFFERING and heard.time is not None and heard.service_id is None:
        index = matching_offer(turn)
        if index is not None:
            booking.pick(turn, index)
            return True
    return False


def has_new_facts(turn: Turn) -> bool:
    heard = turn.heard
    return heard.time is not None or heard.service_id is not None or heard.provider_id is not None or heard.anyone


def matching_offer(turn: Turn) -> int | None:
    """ "10:30" or "the 2pm one" while slots are on show picks the offered slot at that clock time."""
    wanted = turn.heard.time.start
    if turn.heard.time.kind != "instant" or turn.heard.time.grain not in ("minute", "hour") or wanted is None:
        return None
    for i, offered in enumerate(turn.convo.offered):
        if clock(datetime.fromisoformat(offered["start"]), turn.zone) == clock(wanted, turn.zone):
            return i
    return None


def answer_yes_no(turn: Turn, yes: bool) -> None:
    state = turn.convo.state
    if state == CONFIRMING:
        return booking.confirm(turn) if yes else booking.offer(turn, intro="No problem. Here are other times:")
    if state == CONFIRM_CANCEL:
        if yes:
            return manage.confirm_cancel(turn)
        turn.convo.reset()
        return turn.menu("OK, I've kept it. Anything else?")
    if state == OFFER_WAITLIST:
        if yes:
            return manage.join_waitlist(turn)
        turn.convo.reset()
        return turn.menu("OK. Anything else I can do?")


def take_name(turn: Turn) -> bool:
    match = NAME.match(turn.heard.text.strip())
    if not match or turn.heard.intent or turn.heard.number is not None:
        turn.say("Sorry, what name should I put the booking under? (Just your name, like \"Ana Souza\".)")
        return True
    name = match[1].strip().title() if match[1].islower() else match[1].strip()
    if turn.client.id is not None:
        turn.desk.set_name(turn.client.id, name)
    # A newcomer is made a client with this name only once the booking goes ahead (`Turn.enrolled`).
    turn.client = dataclasses.replace(turn.client, name=name)
    turn.convo.state = CONFIRMING
    booking.confirm(turn)
    return True


def on_intent(turn: Turn) -> None:
    heard, convo = turn.heard, turn.convo
    intent = heard.intent
    if intent in ("cancel", "reschedule", "list"):
        return start_intent(turn, intent)
    if intent == "waitlist":
        booking.take_facts(turn)
        return manage.join_waitlist(turn)
    if intent in ("greet", "thanks") and not has_new_facts(turn):
        return small_talk(turn, intent)
    if intent in ("book", "browse") or has_new_facts(turn) or convo.state in (ASK_SERVICE, ASK_WHEN, OFFERING, CONFIRMING):
        if intent in ("book", "browse") and convo.state == IDLE:
            convo.intent = "book"
        convo.intent = convo.intent or "book"
        before = (convo.service_id, convo.provider_id, convo.window_start)
        booking.take_facts(turn)
        if convo.state in (ASK_SERVICE, ASK_WHEN, OFFERING, CONFIRMING) and intent is None \
                and before == (convo.service_id, convo.provider_id, convo.window_start):
            return not_understood(turn)
        return booking.advance(turn)
    if turn.heard.yes or turn.heard.no:
        return turn.menu("Anything else I can help with?")
    return not_understood(turn)


def small_talk(turn: Turn, intent: str) -> None:
    if intent == "thanks":
        return turn.say("You're welcome! Anything else, just ask.")
    name = f" {turn.client.name.split()[0]}" if turn.client.name else ""
    greeting = f"Hi{name}! I'm the booking assistant for {turn.catalogue.business_name}."
    if turn.convo.state == IDLE:
        return turn.menu(greeting + " What can I do for you?")
    turn.say(greeting + " Where were we:")
    repeat(turn)


def start_intent(turn: Turn, intent: str) -> None:
    if intent == "list":
        return manage.list_appointments(turn)
    if intent in ("cancel", "reschedule"):
        return manage.start(turn, intent)
    if intent == "help":
        return turn.say(HELP)
    turn.convo.reset()
    turn.convo.intent = "book"
    booking.take_facts(turn)
    booking.advance(turn)


def not_understood(turn: Turn) -> None:
    if turn.convo.state == IDLE:
        return turn.menu("Sorry, I didn't catch that. " + HELP)
    turn.say("Sorry, I didn't catch that.")
    repeat(turn)


def repeat(turn: Turn) -> None:
    """Ask again whatever the current state is waiting for."""
    convo = turn.convo
    if convo.state in (OFFERING, CONFIRMING) and convo.window_start:
        return booking.offer(turn)
    if convo.state in (ASK_SERVICE, ASK_WHEN):
        return booking.advance(turn)
    if convo.state == PICK_APPOINTMENT:
        return manage.start(turn, convo.intent)
    if convo.choices:
        return turn.say("Please pick one of these:", [tuple(c) for c in convo.choices])
    turn.menu("What would you like to do?")
