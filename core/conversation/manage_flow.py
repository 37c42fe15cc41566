"""Looking after existing bookings by chat: list, cancel, move, and the waiting list (join and leave).

Each handler takes the turn and returns the next state; the booking core is reached through
`turn.bookings` (the `Bookings` port).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.booking import errors
from core.conversation import booking_flow, choices, closed, contact_flow, followups, hours, render
from core.conversation.state import ASK_WHEN, CONFIRM_CANCEL, IDLE, PICK_APPOINTMENT, PICK_WAITING, State
from core.conversation.turn import Turn
from core.db.models import Appointment, WaitlistEntry

ALL = re.compile(r"\b(all|both|every|everything)\b")


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
    lines = [f"• {describe(turn, a)} (code {a.confirmation_code}"
             f"{', awaiting approval' if a.status == 'pending' else ''})" for a in upcoming]
    lines += [f"• Waiting list: {waiting_for(turn, w.service_id, w.provider_id, w.window_start, w.window_end)}"
              for w in waiting]
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
    """Join the waiting list for the service, provider and day (or part of a day) said so far; a day named in
    this message wins. What is missing is asked for first, and the list joined once it is known."""
    convo = turn.convo
    if convo.intent in ("cancel", "reschedule"):  # the appointment's facts are not what they wait for
        convo.reset()
        booking_flow.take_facts(turn)
    convo.intent = "waitlist"
    if convo.service_id is None or not convo.wait_window:
        if not convo.wait_window:
            convo.window_start = None  # so that it is asked for
        return booking_flow.advance(turn)
    start, end = (datetime.fromisoformat(w) for w in convo.wait_window)
    window = _open_part(turn, max(start, turn.now), end)
    if window is None:
        day = _local_day(turn, start)
        why = closed.reason(turn, day) if day is not None and end > turn.now else None
        convo.window_start = convo.window_end = convo.around = convo.wait_window = None
        turn.say(f"{why or 'Sorry, no time can open up then.'} Which day would you like to wait for?",
                 booking_flow.WHEN_CHOICES[1:])
        return ASK_WHEN
    service_id, provider_id = convo.service_id, convo.provider_id
    try:
        client_id = turn.enrolled().id
        turn.bookings.join_waitlist(client_id=client_id, service_id=service_id, provider_id=provider_id,
                                    start=window[0], end=window[1], channel=turn.inbound.channel)
    except errors.BookingError as exc:
        convo.reset()
        turn.say(f"Sorry, I couldn't put you on the waiting list: {exc}.", [("My appointments", choices.intent("list"))])
        return IDLE
    convo.reset()
    turn.say(f"You're on the waiting list for a {waiting_for(turn, service_id, provider_id, *window)}. "
             f"I'll message you if a time opens up.{contact_flow.beyond_this_chat(turn, client_id)}",
             [("My appointments", choices.intent("list")), ("Book an appointment", choices.intent("book"))])
    return IDLE


def waiting_for(turn: Turn, service_id: int, provider_id: int | None, start: datetime, end: datetime) -> str:
    """ "Haircut with Sam tomorrow (Tue 1 Dec) between 09:00 and 17:30 (London time)" """
    who = f"with {turn.provider_name(provider_id)}" if provider_id is not None else "with anyone"
    zone = turn.zone
    if _local_day(turn, start) != _local_day(turn, end - timedelta(seconds=1)):
        when = f"from {render.when(start, zone, turn.now)} to {render.when(end, zone, turn.now)}"
    else:
        day = render.day_label(start, zone, turn.now)
        when = (day if day.startswith(("today", "tomorrow")) else f"on {day}") + \
            f" between {render.clock(start, zone)} and {render.clock(end, zone)}"
    return f"{turn.service_name(service_id)} {who} {when} ({render.zone_label(zone)})"


def _local_day(turn: Turn, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(turn.zone)).date()


def _open_part(turn: Turn, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The window narrowed to the day's opening hours (of the provider asked for, or of anyone who does the
    service) when it lies in one day; None when nothing can open up in it (closed, or passed)."""
    day = _local_day(turn, start)
    if day == _local_day(turn, end - timedelta(seconds=1)):
        times, convo = turn.desk.working_times(), turn.convo
        who = [convo.provider_id] if convo.provider_id is not None else turn.catalogue.offers.get(convo.service_id, ())
        spans = [(datetime.combine(day, s, ZoneInfo(times.schedules[p].timezone)),
                  datetime.combine(day + timedelta(days=e == time(0)), e, ZoneInfo(times.schedules[p].timezone)))
                 for p in who if p in times.schedules for s, e in hours.on_date(times.schedules[p], day)]
        if not spans:
            return None
        start, end = max(start, min(s for s, _ in spans)), min(end, max(e for _, e in spans))
    return (start, end) if start < end else None


def leave_waitlist(turn: Turn, entry_id: int | None = None) -> State:
    """Take them off the waiting list: the entry picked, or the ones the message names (by service, provider,
    day, or "all"); which one, when that leaves several."""
    waiting = turn.bookings.waiting(turn.client.id)
    heard = turn.heard
    turn.convo.reset()
    if entry_id is not None:
        waiting = [w for w in waiting if w.id == entry_id]
    if not waiting:
        turn.menu("You're not on the waiting list for anything just now." if entry_id is None
                  else "You're no longer on that waiting list. Anything else?")
        return IDLE
    chosen = _narrow_waiting(turn, waiting)
    if len(chosen) > 1 and not (heard is not None and ALL.search(heard.text.lower())):
        turn.say("Which waiting list would you like to leave?",
                 [(waiting_for(turn, w.service_id, w.provider_id, w.window_start, w.window_end), choices.leave(w.id))
                  for w in chosen] + [("Never mind", choices.RESTART)])
        return PICK_WAITING
    left = []
    for entry in chosen:
        try:
            turn.bookings.leave_waitlist(entry_id=entry.id, client_id=turn.client.id)
        except errors.NotFound:
            continue  # gone meanwhile (booked, or its window passed): nothing to leave
        left.append("a " + waiting_for(turn, entry.service_id, entry.provider_id, entry.window_start, entry.window_end))
    turn.say(f"Done: you're off the waiting list for {render.both(left)}." if left
             else "You're no longer on that waiting list.",
             [("My appointments", choices.intent("list")), ("Book an appointment", choices.intent("book"))])
    return IDLE


def _narrow_waiting(turn: Turn, waiting: list[WaitlistEntry]) -> list[WaitlistEntry]:
    heard = turn.heard
    if heard is None:
        return waiting
    day = _local_day(turn, heard.time.start) if heard.time is not None and heard.time.start is not None else None
    picked = [w for w in waiting
              if (heard.service_id is None or w.service_id == heard.service_id)
              and (heard.provider_id is None or w.provider_id == heard.provider_id)
              and (day is None or _local_day(turn, w.window_start) <= day <= _local_day(turn, w.window_end))]
    return picked or waiting
