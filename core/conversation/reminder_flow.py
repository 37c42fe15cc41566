"""Answers to a reminder, and booking again in one tap.

A reminder's buttons carry `remind:<confirm|cancel|move>:<appointment id>`; on SMS the client
answers the latest reminder (remembered in `Conversation.reminded`) with one letter: C
confirms, X cancels (after "are you sure?" unless the business turned that off), R offers the
nearest free times to move to. A follow-up's `rebook:<appointment id>` offers times for the
same service with the same provider. Each handler returns the next state.
"""
from __future__ import annotations

from core.booking import errors
from core.conversation import booking_flow, manage_flow, render
from core.conversation.state import IDLE, State
from core.conversation.turn import Turn

LETTERS = {"C": "confirm", "X": "cancel", "R": "move"}
ACTIONS = frozenset(LETTERS.values())


def letter(turn: Turn) -> State | None:
    """A bare C, X or R after a reminder answers it; None when the message is something else."""
    action = LETTERS.get(turn.heard.text.strip().strip(".!").upper())
    if action is None or turn.convo.reminded is None:
        return None
    return act(turn, action, turn.convo.reminded)


def act(turn: Turn, action: str, appointment_id: int) -> State:
    appt = next((a for a in turn.bookings.upcoming(turn.client.id) if a.id == appointment_id), None)
    convo = turn.convo
    convo.reset()
    if appt is None:
        turn.menu("That appointment has already started, or was changed or cancelled. What would you like to do?")
        return IDLE
    if action == "confirm":
        try:
            turn.bookings.confirm(appt.id)
        except errors.BookingError as exc:
            turn.menu(f"Sorry, I couldn't confirm it: {exc}.")
            return IDLE
        turn.say(f"Thanks, you're confirmed: {manage_flow.describe(turn, appt)} "
                 f"{render.zone_label(turn.zone)}. See you then!")
        return IDLE
    convo.appointment_id = appt.id
    if action == "cancel":
        convo.intent = "cancel"
        if turn.inbound.letters and not turn.catalogue.confirm_sms_cancel:
            return manage_flow.confirm_cancel(turn)
        return manage_flow.chosen(turn, appt)
    convo.intent, convo.service_id, convo.provider_id = "reschedule", appt.service_id, appt.provider_id
    booking_flow.when_choice(turn, "soonest")
    intro = (f"The nearest free times to move your {manage_flow.describe(turn, appt)} to "
             f"({render.zone_label(turn.zone)}):")
    return booking_flow.show_times(turn, intro=intro)


def rebook(turn: Turn, appointment_id: int) -> State:
    """Book again what they had: the same service, with the same provider if they still offer it."""
    before = turn.bookings.appointment(appointment_id)
    convo = turn.convo
    convo.reset()
    convo.intent = "book"
    if before is None or before.client_id != turn.client.id or before.service_id not in turn.catalogue.services:
        return booking_flow.advance(turn)
    convo.service_id = before.service_id
    offers = turn.catalogue.offers.get(before.service_id, set())
    convo.provider_id = before.provider_id if before.provider_id in offers else None
    booking_flow.when_choice(turn, "soonest")
    return booking_flow.show_times(turn)
