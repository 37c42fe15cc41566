"""Booking (and moving) by chat: what, with whom, when; show free times; hold one; confirm; book.

Each handler takes the turn and returns the next state; the booking core is reached through
`turn.bookings` (the `Bookings` port), and only before the reply about it is written.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.booking import errors
from core.booking.slots import FreeSlot as OfferedSlot
from core.conversation import choices, render, verify_flow
from core.conversation.state import (
    ASK_NAME, ASK_SERVICE, ASK_WHEN, CONFIRMING, IDLE, OFFER_WAITLIST, SHOWING_TIMES, State,
)
from core.conversation.turn import Turn
from core.timeparse import TimeValue

PAGE = 5
LOOK_AHEAD = timedelta(days=14)
WHEN_CHOICES = (("Soonest available", choices.when("soonest")), ("Tomorrow", choices.when("tomorrow")),
                ("This week", choices.when("week")), ("Next week", choices.when("nextweek")))


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


def set_window(turn: Turn, value: TimeValue) -> None:
    start, end, around = window_of(value, turn.now, turn.zone)
    turn.convo.window_start, turn.convo.window_end = start.isoformat(), end.isoformat()
    turn.convo.around = around.isoformat() if around else None


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


def advance(turn: Turn) -> State:
    """Ask for the first missing fact, or show free times when nothing is missing."""
    convo, cat = turn.convo, turn.catalogue
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
    return show_times(turn)


def ask_service(turn: Turn) -> State:
    cat, convo = turn.catalogue, turn.convo
    ids = [sid for sid in cat.services if convo.provider_id is None or convo.provider_id in cat.offers.get(sid, ())]
    turn.say("What would you like to book?", [(_service_label(cat.services[i]), choices.service(i)) for i in ids])
    return ASK_SERVICE


def show_times(turn: Turn, *, intro: str | None = None) -> State:
    """Show up to five free times in the window (nearest to the asked time first), or what comes after."""
    convo = turn.convo
    start, end = datetime.fromisoformat(convo.window_start), datetime.fromisoformat(convo.window_end)
    around = datetime.fromisoformat(convo.around) if convo.around else None
    slots = search(turn, start, end, around)
    if not slots:
        later = search(turn, end, max(end, turn.now) + LOOK_AHEAD, None)
        if not later:
            turn.say(f"Sorry, there's nothing free for a {turn.service_name(convo.service_id)} then, nor in the "
                     f"two weeks after. Shall I put you on the waiting list and message you if a time opens up?",
                     [("Yes, add me", choices.YES), ("No thanks", choices.NO)])
            return OFFER_WAITLIST
        intro = f"Sorry, nothing is free then. The nearest free times after that are ({render.zone_label(turn.zone)}):"
        convo.window_start, convo.window_end, convo.around = end.isoformat(), (end + LOOK_AHEAD).isoformat(), None
        slots = later
    elif around is not None and intro is None and all(s.start != around for s in slots):
        intro = (f"{render.clock(around, turn.zone)} isn't free, sorry. The nearest free times "
                 f"{render.day_label(around, turn.zone, turn.now)} are ({render.zone_label(turn.zone)}):")
    return _show(turn, slots, intro)


def search(turn: Turn, start: datetime, end: datetime, around: datetime | None) -> list[OfferedSlot]:
    convo = turn.convo
    if end <= start:
        return []
    first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
    found = turn.bookings.find_slots(service_id=convo.service_id, provider_id=convo.provider_id, first_day=first,
                                     last_day=min(last, first + timedelta(days=90)), holder=turn.holder,
                                     moving=convo.appointment_id)
    seen, inside = set(), []
    for slot in found:  # with "anyone", one line per start time is enough
        if start <= slot.start < end and slot.start not in seen:
            seen.add(slot.start)
            inside.append(slot)
    if around is not None:
        inside = sorted(sorted(inside, key=lambda s: abs(s.start - around))[:PAGE], key=lambda s: s.start)
    return inside[:PAGE]


def _show(turn: Turn, slots: list[OfferedSlot], intro: str | None) -> State:
    """The times as options to pick, kept in the conversation (a pick names one by its place)."""
    convo = turn.convo
    convo.offered = [{"start": s.start.isoformat(), "provider": s.provider_id} for s in slots]
    days = {s.start.astimezone(ZoneInfo(turn.zone)).date() for s in slots}
    named = convo.provider_id is None and len(turn.catalogue.offers.get(convo.service_id, ())) > 1
    picks = [(render.slot_label(s.start, turn.zone, turn.provider_name(s.provider_id) if named else None,
                                show_day=len(days) > 1), choices.slot(i)) for i, s in enumerate(slots)]
    what = turn.service_name(convo.service_id)
    who = f" with {turn.provider_name(convo.provider_id)}" if convo.provider_id else ""
    day = "" if len(days) > 1 else " " + render.day_label(slots[0].start, turn.zone, turn.now)
    turn.say(intro or f"Free times for a {what}{who}{day} ({render.zone_label(turn.zone)}):",
             picks + [("Later", choices.LATER), ("Another day", choices.OTHER_DAY)])
    return SHOWING_TIMES


def later(turn: Turn) -> State:
    convo = turn.convo
    if convo.offered:
        convo.window_start = (datetime.fromisoformat(convo.offered[-1]["start"]) + timedelta(seconds=1)).isoformat()
    convo.around = None
    end = datetime.fromisoformat(convo.window_end)
    if not search(turn, datetime.fromisoformat(convo.window_start), end, None):
        convo.window_end = (end + LOOK_AHEAD).isoformat()
    return show_times(turn)


def other_day(turn: Turn) -> State:
    turn.convo.window_start = turn.convo.window_end = turn.convo.around = None
    turn.say("Which day would suit you better?", WHEN_CHOICES[1:])
    return ASK_WHEN


def pick(turn: Turn, index: int) -> State:
    """Hold the picked time for this client while they confirm (only ever asked while times are on show)."""
    convo = turn.convo
    if not 0 <= index < len(convo.offered):
        turn.say(f"Please pick one of the {len(convo.offered)} times above.")
        return SHOWING_TIMES
    chosen = convo.offered[index]
    start = datetime.fromisoformat(chosen["start"])
    # A visitor who must still prove who they are holds nothing: else a script that never proves
    # anything could keep times from real clients, a few at a time, for as long as it likes.
    if convo.intent != "reschedule" and not verify_flow.needed(turn):
        try:
            turn.bookings.hold(service_id=convo.service_id, provider_id=chosen["provider"], start=start,
                               holder=turn.holder, origin=turn.inbound.origin)
        except errors.TooManyHolds:
            turn.say("Sorry, I can't keep that time for you just now: too many times are being held from "
                     "your connection at once. Please finish those bookings (or wait a few minutes) and try again.")
            return SHOWING_TIMES
        except errors.BookingError:
            return show_times(turn, intro="Sorry, someone else has just taken that time. Here is what's free now:")
    convo.picked, convo.booking_key = chosen, uuid.uuid4().hex
    moving = convo.intent == "reschedule"
    turn.say(summary(turn, start, chosen["provider"]) + (" Shall I move it?" if moving else " Shall I book it?"),
             [("Yes, move it" if moving else "Yes, book it", choices.YES), ("No, other times", choices.NO)])
    return CONFIRMING


def summary(turn: Turn, start: datetime, provider_id: int) -> str:
    service = turn.catalogue.services.get(turn.convo.service_id)
    minutes = f" ({service.duration_minutes} min)" if service else ""
    return (f"{turn.service_name(turn.convo.service_id)}{minutes} with {turn.provider_name(provider_id)}, "
            f"{render.when(start, turn.zone, turn.now)} {render.zone_label(turn.zone)}.")


def confirm(turn: Turn) -> State:
    """They said yes: book (or move) the held time."""
    convo, moving = turn.convo, turn.convo.intent == "reschedule"
    if not moving and verify_flow.needed(turn):
        return verify_flow.start(turn)
    if not moving and not turn.client.name:
        turn.say("Lovely. What name should I put the booking under?")
        return ASK_NAME
    wait = None if moving else turn.desk.allowed("book_ip", turn.inbound.origin)
    if wait is not None:
        convo.reset()
        turn.say("Sorry, several bookings have been made from your connection recently, so I "
                 f"can't take another here for {_minutes(wait)}. Please call us, or try again later.")
        return IDLE
    start, provider_id = datetime.fromisoformat(convo.picked["start"]), convo.picked["provider"]
    try:
        if moving:
            appt = turn.bookings.move(convo.appointment_id, start=start, provider_id=provider_id)
        else:
            appt = turn.bookings.book(service_id=convo.service_id, provider_id=provider_id,
                                      client_id=turn.enrolled().id, start=start, key=convo.booking_key,
                                      channel=turn.inbound.channel, holder=turn.holder)
    except errors.SlotTaken:
        return show_times(turn, intro="Sorry, someone else booked that time a moment ago. Here is what's free now:")
    except errors.BookingLimitReached as exc:
        convo.reset()
        turn.say(f"Sorry, I can't book that: {exc}.", [("My appointments", choices.intent("list"))])
        return IDLE
    except errors.BookingError as exc:
        return show_times(turn, intro=f"Sorry, I couldn't do that: {exc}. Here is what's free now:")
    done = (f"Done: your {turn.service_name(appt.service_id)} is moved to" if moving
            else f"Booked! {turn.service_name(appt.service_id)} with {turn.provider_name(appt.provider_id)},")
    when = render.when(appt.start_at, turn.zone, turn.now)
    convo.reset()
    turn.say(f"{done} {when} {render.zone_label(turn.zone)}. Your confirmation code is {appt.confirmation_code}.",
             [("My appointments", choices.intent("list")), ("Book another", choices.intent("book"))])
    return IDLE


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 120 else f"{round(minutes / 60)} hours"


def _service_label(service) -> str:
    return f"{service.name} ({service.duration_minutes} min)"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

