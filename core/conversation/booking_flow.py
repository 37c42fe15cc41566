"""Booking (and moving) by chat: what, with whom, when; then free times (`offering`); confirm; book.

Each handler takes the turn and returns the next state; the booking core is reached through
`turn.bookings` (the `Bookings` port), and only before the reply about it is written. Showing
times and holding the one picked live in `offering` (re-exported here for the other flows),
several people in one request in `party`, a follow-up read in context in `followups`.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.booking import errors
from core.conversation import choices, followups, offering, party, render, verify_flow
from core.conversation.offering import LOOK_AHEAD, WHEN_CHOICES, later, other_day, pick, show_times  # noqa: F401
from core.conversation.state import ASK_NAME, ASK_SERVICE, ASK_WHEN, IDLE, State
from core.conversation.turn import Turn
from core.timeparse import TimeValue


def take_facts(turn: Turn) -> None:
    """Keep every fact the message gave (service, provider, time), replacing older ones: corrections win."""
    heard, convo = turn.heard, turn.convo
    if heard is None:
        return
    if heard.service_id is not None and convo.intent != "reschedule":
        convo.service_id = heard.service_id
    if heard.provider_id is not None:
        convo.provider_id = heard.provider_id
    elif heard.anyone:
        convo.provider_id = None
    if heard.time is not None:
        set_window(turn, heard.time)
        _remember_asked(turn, heard.time)
    if convo.intent != "reschedule":
        party.take(turn)


def _remember_asked(turn: Turn, value: TimeValue) -> None:
    """Keep the clock time they asked for ("same time" on another day) and the other time they
    offered ("5pm or 6pm"); a day alone keeps the clock time asked before."""
    convo = turn.convo
    if value.kind == "instant" and value.grain == "day":
        return
    exact = value.kind == "instant" and value.grain in ("minute", "hour") and value.start is not None
    convo.asked_clock = render.clock(value.start, turn.zone) if exact else None
    other = followups.alternative(turn) if exact else None
    convo.alternatives = [other.start.isoformat()] if other is not None and other.grain in ("minute", "hour") \
        and other.start != value.start else []


def set_window(turn: Turn, value: TimeValue) -> None:
    start, end, around = window_of(value, turn.now, turn.zone)
    turn.convo.window_start, turn.convo.window_end = start.isoformat(), end.isoformat()
    turn.convo.around = around.isoformat() if around else None
    turn.convo.wait_window = [start.isoformat(), end.isoformat()]


def window_of(value: TimeValue, now: datetime, zone: str) -> tuple[datetime, datetime, datetime | None]:
    """Where to look for slots for a time they named; `around` is a clock time they asked for."""
    tz = ZoneInfo(zone)
    if value.kind == "instant" and value.grain in ("second", "minute", "hour"):
        local = value.start.astimezone(tz)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return max(day, now), day + timedelta(days=1), value.start
    if value.kind == "instant":
        length = {"day": timedelta(days=1), "week": timedelta(days=7)}.get(value.grain, timedelta(days=31))
        return max(value.start, now), value.start + length, None
    start = value.start or now
    if value.end is not None:
        end = value.end
    else:  # "after 4": the rest of that day
        local = start.astimezone(tz)
        end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return max(start, now), max(end, start), None


def when_choice(turn: Turn, value: str) -> None:
    tz = ZoneInfo(turn.zone)
    today = turn.now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    start, end = {
        "soonest": (turn.now, turn.now + LOOK_AHEAD),
        "tomorrow": (today + timedelta(days=1), today + timedelta(days=2)),
        "week": (turn.now, monday + timedelta(days=7)),
        "nextweek": (monday + timedelta(days=7), monday + timedelta(days=14)),
    }[value]
    turn.convo.window_start, turn.convo.window_end, turn.convo.around = start.isoformat(), end.isoformat(), None
    turn.convo.wait_window = [start.isoformat(), end.isoformat()]


def advance(turn: Turn) -> State:
    """Ask for the first missing fact, or show free times when nothing is missing."""
    convo, cat = turn.convo, turn.catalogue
    if convo.intent == "book" and turn.client.id is not None:
        try:  # a client the business's rules keep from booking hears it now, not after picking a time
            turn.bookings.may_book(turn.client.id)
        except errors.BookingLimitReached as exc:
            return _refused(turn, exc)
    if convo.service_id is None and convo.provider_id is not None:
        offered = [sid for sid, pids in cat.offers.items() if convo.provider_id in pids]
        convo.service_id = offered[0] if len(offered) == 1 else None
    if convo.service_id is None:
        return ask_service(turn)
    if convo.provider_id is not None and convo.provider_id not in cat.offers.get(convo.service_id, set()):
        who = [cat.providers[p].name for p in sorted(cat.offers.get(convo.service_id, ()))]
        turn.say(f"{turn.provider_name(convo.provider_id)} doesn't do {turn.service_name(convo.service_id)}"
                 + (f"; {_join(who)} {'does' if len(who) == 1 else 'do'}." if who else "."))
        convo.provider_id = None
    if convo.window_start is None:
        turn.say(f"When would you like your {turn.service_name(convo.service_id)}? You can say things like "
                 f"\"tomorrow after 4\" or \"Saturday morning\".", WHEN_CHOICES)
        return ASK_WHEN
    return show_times(turn, exact=True)


def one_more(turn: Turn, who: str) -> State:
    """ "And one more for my daughter": the same service near the same time as the one just booked,
    for someone else (beside it with another provider, else just after or before it)."""
    convo = turn.convo
    base = _last_booked(turn)
    convo.reset()
    convo.intent, convo.people = "book", [who]
    if base is None or base.service_id not in turn.catalogue.services:
        take_facts(turn)
        return advance(turn)
    convo.service_id = base.service_id
    if turn.heard.time is not None or turn.heard.provider_id is not None or turn.heard.service_id is not None:
        take_facts(turn)  # "one more for my son, at 4 with Alex"
        return advance(turn)
    set_window(turn, TimeValue(kind="instant", start=base.start_at, end=None, grain="minute"))
    convo.asked_clock = render.clock(base.start_at, turn.zone)
    return offering.beside(turn, base)


def _last_booked(turn: Turn):
    """The appointment booked (or moved) last in this conversation, else the client's last upcoming one."""
    upcoming = turn.bookings.upcoming(turn.client.id)
    mine = [a for a in upcoming if a.id == turn.convo.booked]
    return mine[0] if mine else (upcoming[-1] if upcoming else None)


def ask_service(turn: Turn) -> State:
    cat, convo = turn.catalogue, turn.convo
    ids = [sid for sid in cat.services if convo.provider_id is None or convo.provider_id in cat.offers.get(sid, ())]
    turn.say("What would you like to book?", [(_service_label(cat.services[i]), choices.service(i)) for i in ids])
    return ASK_SERVICE


def confirm(turn: Turn) -> State:
    """They said yes: book (or move) the held time, once every name it needs is known."""
    convo, moving = turn.convo, turn.convo.intent == "reschedule"
    if not moving and verify_flow.needed(turn):
        return verify_flow.start(turn)
    question = None if moving else party.missing_name(turn)
    if question is not None:
        turn.say(question)
        return ASK_NAME
    wait = None if moving else turn.desk.allowed("book_ip", turn.inbound.origin)
    if wait is not None:
        convo.reset()
        turn.say("Sorry, several bookings have been made from your connection recently, so I "
                 f"can't take another here for {_minutes(wait)}. Please call us, or try again later.")
        return IDLE
    try:
        if moving:
            start, provider_id = datetime.fromisoformat(convo.picked["start"]), convo.picked["provider"]
            made = [(turn.bookings.move(convo.appointment_id, start=start, provider_id=provider_id,
                                        holder=turn.holder), None)]
            missed = []
        else:
            made, missed = party.book_everyone(turn, turn.enrolled().id)
    except errors.SlotTaken:
        return show_times(turn, intro="Sorry, someone else booked that time a moment ago. Here is what's free now:")
    except errors.BookingLimitReached as exc:
        return _refused(turn, exc)
    except errors.BookingError as exc:
        return show_times(turn, intro=f"Sorry, I couldn't do that: {exc}. Here is what's free now:")
    convo.reset()
    convo.booked = made[0][0].id
    turn.say(_done(turn, made, missed, moving),
             [("My appointments", choices.intent("list")), ("Book another", choices.intent("book"))])
    return IDLE


def _refused(turn: Turn, exc: errors.BookingLimitReached) -> State:
    turn.convo.reset()
    turn.say(f"Sorry, I can't book that: {exc}.", [("My appointments", choices.intent("list"))])
    return IDLE


def _done(turn: Turn, made: list, missed: list[str], moving: bool) -> str:
    """ "Booked! Haircut with Sam, tomorrow (Tue 1 Dec) at 16:00 London time. Your confirmation code is ..." """
    zone = render.zone_label(turn.zone)
    appt, name = made[0]
    what, when = turn.service_name(appt.service_id), render.when(appt.start_at, turn.zone, turn.now)
    if moving:
        return f"Done: your {what} is moved to {when} {zone}. Your confirmation code is {appt.confirmation_code}."
    if len(made) == 1 and not missed and appt.status == "pending":  # a service the business approves first
        return (f"Requested: {what} with {turn.provider_name(appt.provider_id)}, {when} {zone}"
                f"{f', for {name}' if name else ''}. {turn.catalogue.business_name} approves each {what} booking, "
                "so it isn't confirmed yet. The time is held for you, and I'll message you as soon as they answer.")
    if len(made) == 1 and not missed:
        for_whom = f", for {name}" if name else ""
        code = "The" if name else "Your"
        told = f" {name}'s confirmations and reminders will come to you." if name else ""
        return (f"Booked! {what} with {turn.provider_name(appt.provider_id)}, {when} {zone}{for_whom}. "
                f"{code} confirmation code is {appt.confirmation_code}.{told}")
    lines = [f"• {render.when(a.start_at, turn.zone, turn.now)} with {turn.provider_name(a.provider_id)}, "
             f"for {n or 'you'} (code {a.confirmation_code})" for a, n in made]
    others = [n for _, n in made if n]
    count = party.COUNT_WORDS.get(len(made), str(len(made)))
    text = "\n".join([f"Booked! {count} {what}s ({zone}):" if len(made) > 1 else f"Booked! {what} ({zone}):",
                      *lines])
    if others:
        text += f"\n{render.both(others)}'s confirmations and reminders will come to you."
    if missed:
        text += f"\nSorry, the time for {render.both(missed)} was taken a moment ago, so that one isn't booked."
    return text


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 120 else f"{round(minutes / 60)} hours"


def _service_label(service) -> str:
    return f"{service.name} ({service.duration_minutes} min)"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

