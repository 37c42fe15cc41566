"""The conversation's state machine: one turn in, the next state and replies out.

As in python-telegram-bot's conversationbot, every handler returns the next state (a constant
from `state.py`) and `respond` hands it to the assistant, which stores it: no handler sets
`convo.state`. Handlers read `turn.state`, the state this turn answers.

`respond` first handles a picked option, then what the current state is waiting for, then
what the message asks for anywhere (help, start over, cancel, my appointments...), and
last any facts it gave (a service, a provider, a time), which continue a booking.
Drawn in flow.md beside this file.
"""
from __future__ import annotations

from datetime import datetime

from core.conversation import booking_flow as booking
from core.conversation import calendar_flow as calendar
from core.conversation import contact_flow as contact
from core.conversation import choices, followups, names, offering, party
from core.conversation import manage_flow as manage
from core.conversation import offer_flow as offers
from core.conversation import questions
from core.conversation import series_flow as series
from core.conversation import reminder_flow as reminders
from core.conversation import verify_flow
from core.conversation.state import (
    ASK_EMAIL, ASK_NAME, ASK_SERVICE, ASK_WHEN, CONFIRM_CANCEL, CONFIRMING, IDLE, OFFER_WAITLIST, PICK_APPOINTMENT,
    PICK_WAITING, SHOWING_TIMES, State,
)
from core.conversation.render import clock
from core.conversation.turn import Turn

HELP = ("I can book, move or cancel appointments, show yours, and tell you what's free. Try "
        "\"a haircut with Sam tomorrow after 4\", \"what's free on Saturday?\", \"move my appointment\" "
        "or \"cancel my haircut\". Say \"start over\" at any time.")
BOOKING = (ASK_SERVICE, ASK_WHEN, SHOWING_TIMES, CONFIRMING)  # where new facts re-plan the booking
ASKED_YES_NO = (CONFIRMING, CONFIRM_CANCEL, OFFER_WAITLIST)


def respond(turn: Turn) -> State:
    """One turn: answer what they picked or said, and return the state the conversation is in next."""
    names.known(turn)
    if turn.inbound.choice is not None:
        return on_choice(turn, turn.inbound.choice)
    for answer in (_verifying, _contact, reminders.letter, offers.letter):  # each None when not for it
        state = answer(turn)
        if state is not None:
            return state
    heard = turn.heard
    if heard.intent == "restart":
        turn.convo.reset()
        turn.menu("OK, let's start again. What would you like to do?")
        return IDLE
    if heard.intent == "help":
        turn.say(HELP, [("Book an appointment", choices.intent("book")), ("My appointments", choices.intent("list"))])
        return turn.state
    if heard.intent == "calendar":  # "add my appointments to my calendar": their feed link
        return calendar.give_link(turn)
    state = series.answer(turn)  # "every Tuesday at 10 for 6 weeks", its questions, "cancel all my Tuesday sessions"
    if state is not None:
        return state
    followups.resolve(turn)  # "ok 4 then", "an hour later", "same time on friday": on what is being discussed
    state = questions.answer(turn)  # prices, hours, who works when...: answered, and the booking goes on
    if state is not None:
        return state
    state = waiting_answer(turn)
    return state if state is not None else on_intent(turn)


def _verifying(turn: Turn) -> State | None:
    """A number, an address or a code while a contact is being proven (the booking goes on once it is)."""
    return verify_flow.answer(turn, book=booking.confirm)


def _contact(turn: Turn) -> State | None:
    """ "Text me instead", "email me", "no more texts", or the address asked for."""
    if turn.state != ASK_EMAIL:
        return contact.request(turn)
    state = contact.take_email(turn)
    if state is None:  # they moved on (the task forgotten): the rest of this turn answers from IDLE
        turn.state = IDLE
    return state


def on_choice(turn: Turn, value: str) -> State:
    picked, convo = choices.decode(value), turn.convo
    state = series.on_choice(turn, picked)  # a series' own questions: yes/no, how many weeks, one or all
    if state is not None:
        return state
    if picked is None or not _still_valid(turn, picked):
        # A value we never wrote, or an old button from an earlier step: say so rather than act on it.
        turn.say("That option has expired. Here is where we are:" if picked is None
                 else "That option is from an earlier step. Here is where we are:")
        return repeat(turn)
    kind = picked.kind
    if kind == choices.INTENT:
        return start_intent(turn, picked.word)
    if kind == choices.REMIND:
        return reminders.act(turn, picked.word, picked.number)
    if kind == choices.REBOOK:
        return reminders.rebook(turn, picked.number)
    if kind == choices.OFFER:
        return offers.act(turn, picked.word, picked.number)
    if kind == choices.SERVICE:
        convo.service_id, convo.intent = picked.number, convo.intent or "book"
        return go_on(turn)
    if kind == choices.WHEN:
        booking.when_choice(turn, picked.word)
        return manage.join_waitlist(turn) if convo.intent == "waitlist" else booking.show_times(turn)
    if kind in (choices.WAITLIST, choices.LEAVE):
        return manage.join_waitlist(turn) if kind == choices.WAITLIST else manage.leave_waitlist(turn, picked.number)
    if kind == choices.SLOT:
        return booking.pick(turn, picked.number)
    if kind == choices.APPOINTMENT:
        return manage.pick_appointment(turn, picked.number)
    if kind in (choices.LATER, choices.OTHER_DAY):
        return booking.later(turn) if kind == choices.LATER else booking.other_day(turn)
    if kind in (choices.YES, choices.NO):
        return answer_yes_no(turn, kind == choices.YES)
    convo.reset()  # choices.RESTART
    turn.menu("OK. Anything else I can do for you?")
    return IDLE


def _still_valid(turn: Turn, picked: choices.Picked) -> bool:
    """Whether a well-formed choice fits where the conversation is now (an old button may not)."""
    state = turn.state
    return {
        choices.SERVICE: picked.number in turn.catalogue.services,
        choices.WHEN: turn.convo.service_id is not None,
        choices.SLOT: state == SHOWING_TIMES,
        choices.APPOINTMENT: state == PICK_APPOINTMENT,
        choices.LATER: state == SHOWING_TIMES, choices.OTHER_DAY: state == SHOWING_TIMES,
        choices.YES: state in ASKED_YES_NO, choices.NO: state in ASKED_YES_NO,
        choices.WAITLIST: state == SHOWING_TIMES and any(c[1] == choices.WAITLIST for c in turn.convo.choices),
        choices.LEAVE: state == PICK_WAITING,
    }.get(picked.kind, True)


def waiting_answer(turn: Turn) -> State | None:
    """Handle what the current state asked for; None when the message is about something else."""
    convo, heard, state = turn.convo, turn.heard, turn.state
    if heard.number is not None and convo.choices and state != IDLE:
        index = len(convo.choices) - 1 if heard.number == -1 else heard.number - 1
        if 0 <= index < len(convo.choices):
            return on_choice(turn, convo.choices[index][1])
    if heard.intent in ("waitlist", "leave_waitlist"):
        return None  # "waitlist me for thursday" while times are on show is not a pick of one of them
    if state == ASK_NAME:
        return names.take(turn, book=booking.confirm)
    if state == PICK_WAITING and heard.intent is None and (has_new_facts(turn) or manage.ALL.search(
            heard.text.lower())):
        return manage.leave_waitlist(turn)  # "the haircut one", "all of them"
    state = _follow_up(turn)
    if state is not None:
        return state
    state = turn.state
    if state in ASKED_YES_NO and (heard.yes or heard.no) and not has_new_facts(turn):
        if heard.no and heard.later and state == CONFIRMING:
            return booking.later(turn)
        return answer_yes_no(turn, heard.yes and not heard.no)
    if state == SHOWING_TIMES and not has_new_facts(turn):
        if heard.later or heard.no:
            return booking.later(turn)
        if heard.other_day:
            return booking.other_day(turn)
    if state == SHOWING_TIMES and heard.time is not None and heard.service_id is None:
        index = matching_time(turn)
        if index is not None:
            return booking.pick(turn, index)
    return None


def _follow_up(turn: Turn) -> State | None:
    """ "the earlier one" (of the times shown), "the one before", "anything earlier?", "later" at the summary."""
    state, heard, convo = turn.state, turn.heard, turn.convo
    index = followups.which_shown(turn)
    if index is not None:
        return booking.pick(turn, index)
    step = followups.neighbour(turn)
    of = followups.discussed(turn).instant if state in (SHOWING_TIMES, CONFIRMING) else None
    if step is not None and of is not None:
        return offering.neighbour(turn, of, step)
    if state not in (SHOWING_TIMES, CONFIRMING) or has_new_facts(turn) or heard.yes:
        return None
    if followups.EARLIER.search(heard.text.lower()) and not heard.later:
        first = convo.picked["start"] if state == CONFIRMING else convo.offered[0]["start"] if convo.offered else None
        return offering.earlier(turn, datetime.fromisoformat(first)) if first else None
    if state == CONFIRMING and heard.later and not heard.no:
        return booking.later(turn)
    return None


def has_new_facts(turn: Turn) -> bool:
    heard = turn.heard
    return heard.time is not None or heard.service_id is not None or heard.provider_id is not None or heard.anyone


def matching_time(turn: Turn) -> int | None:
    """ "10:30" or "the 2pm one" while times are on show picks the one shown at that clock time."""
    wanted, provider = turn.heard.time.start, turn.heard.provider_id
    if turn.heard.time.kind != "instant" or turn.heard.time.grain not in ("minute", "hour") or wanted is None:
        return None
    # "17:00 with Jordan" while several providers are shown picks Jordan's 17:00, or none
    shown = [(i, o) for i, o in enumerate(turn.convo.offered) if provider is None or o["provider"] == provider]
    for i, offered in shown:
        if datetime.fromisoformat(offered["start"]) == wanted:
            return i
    for i, offered in shown:
        if clock(datetime.fromisoformat(offered["start"]), turn.zone) == clock(wanted, turn.zone):
            return i
    return None


def answer_yes_no(turn: Turn, yes: bool) -> State:
    """Yes or no to the question of a state in ASKED_YES_NO."""
    state = turn.state
    if state == CONFIRMING:
        return booking.confirm(turn) if yes else booking.show_times(turn, intro="No problem. Here are other times:")
    if yes:
        return manage.confirm_cancel(turn) if state == CONFIRM_CANCEL else manage.join_waitlist(turn)
    turn.convo.reset()
    turn.menu("OK, I've kept it. Anything else?" if state == CONFIRM_CANCEL else "OK. Anything else I can do?")
    return IDLE


def on_intent(turn: Turn) -> State:
    heard = turn.heard
    intent = heard.intent
    if intent in ("cancel", "reschedule", "list"):
        return start_intent(turn, intent)
    if intent == "waitlist":
        booking.take_facts(turn)
        return manage.join_waitlist(turn)
    if intent == "leave_waitlist":
        return manage.leave_waitlist(turn)
    if intent in ("greet", "thanks") and not has_new_facts(turn):
        return small_talk(turn, intent)
    if turn.state == IDLE and intent in (None, "book"):
        who = party.one_more(turn)
        if who is not None:  # "and one more for my daughter"
            return booking.one_more(turn, who)
    if turn.state == IDLE and turn.client.id is not None and followups.moves_booked(turn):
        return manage.start(turn, "reschedule")  # "could we make it an hour later?"
    if intent in ("book", "browse") or has_new_facts(turn) or turn.state in BOOKING:
        return go_on_booking(turn, intent)
    if heard.yes or heard.no:
        turn.menu("Anything else I can help with?")
        return turn.state
    return not_understood(turn)


def go_on_booking(turn: Turn, intent: str | None) -> State:
    """Take the facts the message gave and ask for what is still missing, or show times."""
    convo = turn.convo
    if intent in ("book", "browse") and turn.state == IDLE:
        convo.intent = "book"
    convo.intent = convo.intent or "book"
    before = _facts(convo)
    booking.take_facts(turn)
    if turn.state in BOOKING and intent is None and before == _facts(convo) and not has_new_facts(turn):
        return not_understood(turn)
    return go_on(turn)


def go_on(turn: Turn) -> State:
    """Ask for what is still missing, then show times (or, asked for the waiting list, join it)."""
    return manage.join_waitlist(turn) if turn.convo.intent == "waitlist" else booking.advance(turn)


def _facts(convo) -> tuple:
    return (convo.service_id, convo.provider_id, convo.window_start, convo.window_end, convo.around,
            len(convo.people))


def small_talk(turn: Turn, intent: str) -> State:
    if intent == "thanks":
        turn.say("You're welcome! Anything else, just ask.")
        return turn.state
    name = f" {turn.client.name.split()[0]}" if turn.client.name else ""
    greeting = f"Hi{name}! I'm the booking assistant for {turn.catalogue.business_name}, here to help."
    if turn.state == IDLE:
        turn.menu(greeting + " What can I do for you?")
        return IDLE
    turn.say(greeting + " Where were we:")
    return repeat(turn)


def start_intent(turn: Turn, intent: str) -> State:
    if intent == "list":
        return manage.list_appointments(turn)
    if intent in ("cancel", "reschedule"):
        return manage.start(turn, intent)
    if intent == "help":
        turn.say(HELP)
        return turn.state
    turn.convo.reset()
    turn.convo.intent = "book"
    booking.take_facts(turn)
    return booking.advance(turn)


def not_understood(turn: Turn) -> State:
    if turn.state == IDLE:
        turn.menu("Sorry, I didn't catch that. " + HELP)
        return IDLE
    turn.say("Sorry, I didn't catch that.")
    return repeat(turn)


def repeat(turn: Turn) -> State:
    """Ask again whatever the current state is waiting for."""
    convo, state = turn.convo, turn.state
    if state == CONFIRMING and convo.picked is not None:
        return offering.ask_again(turn)
    if state in (SHOWING_TIMES, CONFIRMING) and convo.window_start:
        return booking.show_times(turn)
    if state in (ASK_SERVICE, ASK_WHEN):
        return booking.advance(turn)
    if state == PICK_APPOINTMENT:
        return manage.start(turn, convo.intent)
    if convo.choices:
        turn.say("Please pick one of these:", [tuple(c) for c in convo.choices])
    else:
        turn.menu("What would you like to do?")
    return state
