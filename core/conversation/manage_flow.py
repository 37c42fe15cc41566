"""Looking after existing bookings by chat: list, cancel, move, and the waiting list.

Each handler takes the turn and returns the next state; the booking core is reached through
`turn.bookings` (the `Bookings` port).
"""
from __future__ import annotations

import re
from datetime import datetime

from core.booking import errors
from core.conversation import booking_flow, choices, followups, render
from core.conversation.state import ASK_WHEN, CONFIRM_CANCEL, IDLE, PICK_APPOINTMENT, State
from core.conversation.turn import Turn
from core.db.models import Appointment


def describe(turn: Turn, appt: Appointment) -> str:
    """ "Haircut with Sam, tomorrow (Tue 1 Dec) at 10:00" (", for Leo Souza" when booked for someone else)."""
    text = (f"{turn.service_name(appt.service_id)} with {turn.provider_name(appt.provider_id)}, "
            f"{render.when(appt.start_at, turn.zone, turn.now)}")
    if turn.client.id is not None and appt.client_id != turn.client.id:
        name = turn.bookings.booked_for(turn.client.id).get(appt.client_id)
        text += f", for {name}" if name else ""
    return text


def list_appointments(turn: Turn) -> State:
    upcoming = turn.bookings.upcoming(turn.client.id)
    waiting = turn.bookings.waiting(turn.client.id)
    turn.convo.reset()
    if not upcoming and not waiting:
        turn.say("You have no upcoming appointments. Would you like to book one?",
                 [("Book an appointment", choices.intent("book"))])
        return IDLE
    lines = [f"• {describe(turn, a)} (code {a.confirmation_code})" for a in upcoming]
    lines += [f"• Waiting list: {turn.service_name(w.service_id)}, "
              f"{render.when(w.window_start, turn.zone, turn.now)} onwards" for w in waiting]
    head = f"Your upcoming appointments ({render.zone_label(turn.zone)}):" if upcoming else "You have no appointments yet."
    actions = [("Move one", choices.intent("reschedule")), ("Cancel one", choices.intent("cancel"))] if upcoming else []
    turn.say("\n".join([head, *lines]), actions + [("Book another", choices.intent("book"))])
    return IDLE


def start(turn: Turn, intent: str) -> State:
    """Cancel or move: find which appointment they mean (by code, service, provider or day), or ask."""
    turn.convo.reset()
    turn.convo.intent = intent
    upcoming = turn.bookings.upcoming(turn.client.id)
    if not upcoming:
        turn.say("You have no upcoming appointments to change. Would you like to book one?",
                 [("Book an appointment", choices.intent("book"))])
        turn.convo.reset()
        return IDLE
    narrowed = _narrow(turn, upcoming)
    if len(narrowed) == 1:
        return chosen(turn, narrowed[0])
    verb = "cancel" if intent == "cancel" else "move"
    turn.say(f"Which appointment would you like to {verb}?",
             [(describe(turn, a), choices.appointment(a.id)) for a in narrowed] + [("Never mind", choices.RESTART)])
    return PICK_APPOINTMENT


def _narrow(turn: Turn, upcoming: list[Appointment]) -> list[Appointment]:
    heard = turn.heard
    if heard is None:
        return upcoming
    words = heard.text.upper().split()
    by_code = [a for a in upcoming if a.confirmation_code in words]
    if by_code:
        return by_code
    if turn.convo.booked in {a.id for a in upcoming} and re.search(r"\bit\b", heard.text.lower()) \
            and heard.service_id is None and heard.provider_id is None:
        return [a for a in upcoming if a.id == turn.convo.booked]  # "could we make it an hour later?"
    picked = [a for a in upcoming
              if (heard.service_id is None or a.service_id == heard.service_id)
              and (heard.provider_id is None or a.provider_id == heard.provider_id)
              # "move my haircut to friday": the time is where it goes, not which one it is
              and (heard.time is None or turn.convo.intent != "cancel"
                   or _same_day(turn, a.start_at, heard.time.start))]
    return picked or upcoming


def _same_day(turn: Turn, a: datetime, b: datetime | None) -> bool:
    return b is not None and render.day_label(a, turn.zone) == render.day_label(b, turn.zone)


def pick_appointment(turn: Turn, appointment_id: int) -> State:
    mine = {a.id: a for a in turn.bookings.upcoming(turn.client.id)}
    if appointment_id not in mine:
        turn.say("I can't find that appointment any more. Here is what you have:")
        return list_appointments(turn)
    return chosen(turn, mine[appointment_id])


def chosen(turn: Turn, appt: Appointment) -> State:
    convo = turn.convo
    convo.appointment_id = appt.id
    if convo.intent == "cancel":
        turn.say(f"Cancel your {describe(turn, appt)} {render.zone_label(turn.zone)}?",
                 [("Yes, cancel it", choices.YES), ("No, keep it", choices.NO)])
        return CONFIRM_CANCEL
    convo.service_id, convo.provider_id = appt.service_id, appt.provider_id
    value = followups.for_move(turn, appt.start_at) if turn.heard is not None else None
    if value is not None:  # "to friday at 11", "an hour later" (from its own time), "4pm instead" (that day)
        booking_flow.set_window(turn, value)
        return booking_flow.show_times(turn, exact=True)
    turn.say(f"When would you like to move your {describe(turn, appt)} to?", booking_flow.WHEN_CHOICES)
    return ASK_WHEN


def confirm_cancel(turn: Turn) -> State:
    try:
        appt = turn.bookings.cancel(turn.convo.appointment_id, reason="cancelled by the client in chat")
    except errors.BookingError as exc:
        turn.convo.reset()
        turn.menu(f"Sorry, I couldn't cancel it: {exc}.")
        return IDLE
    turn.convo.reset()
    late = (" As it was less than the cancellation window before the start, it's noted as a late cancellation."
            if appt.late_cancellation else "")
    turn.say(f"Cancelled: your {describe(turn, appt)}.{late} Would you like to book another time?",
             [("Book another time", choices.intent("book")), ("No, thanks", choices.RESTART)])
    return IDLE


def join_waitlist(turn: Turn) -> State:
    convo = turn.convo
    if convo.service_id is None or convo.window_start is None:
        convo.intent = "waitlist"
        return booking_flow.advance(turn)
    turn.bookings.join_waitlist(client_id=turn.enrolled().id, service_id=convo.service_id,
                                provider_id=convo.provider_id, start=datetime.fromisoformat(convo.window_start),
                                end=datetime.fromisoformat(convo.window_end), channel=turn.inbound.channel)
    what = turn.service_name(convo.service_id)
    when = render.when(datetime.fromisoformat(convo.window_start), turn.zone, turn.now)
    convo.reset()
    turn.say(f"You're on the waiting list for a {what} from {when}. I'll message you if a time opens up.",
             [("My appointments", choices.intent("list"))])
    return IDLE
