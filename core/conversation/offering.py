"""Showing free times, and holding the one picked while the client confirms it.

When the exact time asked for is free it is held at once and the summary asked ("Shall I book
it?"): two turns, not four. Otherwise up to five free times are shown, the nearest to the time
asked first; when nothing is free on the day asked, the reason is named ("We're closed on
Sundays", "Alex doesn't work on Mondays") and the nearest times after it are shown with their
day in the text and in every label. Each handler returns the next state; the booking core is
reached through `turn.bookings` before any reply about it is written.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.booking import errors
from core.booking.slots import FreeSlot
from core.conversation import choices, closed, party, render, verify_flow
from core.conversation.state import ASK_WHEN, CONFIRMING, OFFER_WAITLIST, SHOWING_TIMES, State
from core.conversation.turn import Turn

PAGE = 5
LOOK_AHEAD = timedelta(days=14)
WHEN_CHOICES = (("Soonest available", choices.when("soonest")), ("Tomorrow", choices.when("tomorrow")),
                ("This week", choices.when("week")), ("Next week", choices.when("nextweek")))


def show_times(turn: Turn, *, intro: str | None = None, exact: bool = False) -> State:
    """Show free times in the window (nearest to the asked time first), or what comes after.

    `exact`: the client has just named this time, so if it is free it is held and confirmed at once."""
    convo = turn.convo
    start, end = datetime.fromisoformat(convo.window_start), datetime.fromisoformat(convo.window_end)
    around = datetime.fromisoformat(convo.around) if convo.around else None
    if exact and around is not None:
        state = _the_time_asked(turn, start, end, around)
        if state is not None:
            return state
    slots = search(turn, start, end, around)
    if not slots:
        return _nearest_after(turn, start, end, around)
    wait = None
    if around is not None and intro is None and all(s.start != around for s in slots):
        intro = (f"{render.clock(around, turn.zone)} isn't free, sorry. The nearest free times "
                 f"{render.day_label(around, turn.zone, turn.now)} are ({render.zone_label(turn.zone)}):")
        wait = wait_choice(turn, around.astimezone(ZoneInfo(turn.zone)).date())
    return _show(turn, slots, intro, wait=wait)


def _the_time_asked(turn: Turn, start: datetime, end: datetime, around: datetime) -> State | None:
    """Hold the time asked for when it is free (or offer both of "5pm or 6pm"); None when it is not free."""
    convo = turn.convo
    wanted = [around, *(datetime.fromisoformat(a) for a in convo.alternatives)]
    asked = [w for w in wanted if start <= w < end]
    if not asked:
        return None
    # Only the times asked for are looked at, not the whole day.
    free = {s.start: s for s in search(turn, min(asked), max(asked) + timedelta(microseconds=1), None, limit=None)}
    found = [free[w] for w in wanted if w in free]
    if not found:
        return None
    if len(found) > 1:
        times = render.either([render.clock(s.start, turn.zone) for s in found])
        both = "Both are" if len(found) == 2 else "All are"
        return _show(turn, found, f"{both} free {render.day_label(found[0].start, turn.zone, turn.now)}: {times} "
                                  f"({render.zone_label(turn.zone)}). Which would you like?")
    lead = "" if found[0].start == around else f"{render.clock(around, turn.zone)} isn't free, but this is: "
    _remember(turn, found)
    return pick(turn, 0, lead=lead)


def _nearest_after(turn: Turn, start: datetime, end: datetime, around: datetime | None) -> State:
    """Nothing free in the window: say why when the day is closed, and show the nearest free day's times."""
    convo = turn.convo
    later = search(turn, end, max(end, turn.now) + LOOK_AHEAD, None)
    if not later:
        turn.say(f"Sorry, there's nothing free for a {turn.service_name(convo.service_id)} then, nor in the "
                 f"two weeks after. Shall I put you on the waiting list and message you if a time opens up?",
                 [("Yes, add me", choices.YES), ("No thanks", choices.NO)])
        return OFFER_WAITLIST
    asked_day = _one_day(start, end, turn.zone)
    why = closed.reason(turn, asked_day) if asked_day else None
    zone = ZoneInfo(turn.zone)
    first = later[0].start.astimezone(zone)
    day_start = datetime.combine(first.date(), time(0), zone)
    if around is not None:  # the same clock time on the nearest day that has any
        near = datetime.combine(first.date(), around.astimezone(zone).time(), zone)
        later = search(turn, day_start, day_start + timedelta(days=1), near)
    convo.window_start, convo.window_end, convo.around = day_start.isoformat(), (end + LOOK_AHEAD).isoformat(), None
    days = {s.start.astimezone(zone).date() for s in later}
    where = f"on {render.day_label(later[0].start, turn.zone, turn.now)}" if len(days) == 1 else "after that"
    intro = (f"{why or 'Sorry, nothing is free then.'} The nearest free times {where} are "
             f"({render.zone_label(turn.zone)}):")
    wait = wait_choice(turn, asked_day) if asked_day is not None and why is None else None
    return _show(turn, later, intro, asked_day=asked_day, wait=wait)


def wait_choice(turn: Turn, day: date) -> tuple[str, str] | None:
    """ "Join the waiting list for Tue 1 Dec", beside the nearest times when what was asked for on `day` is
    taken: when the client asked for that one day (or a time or part of it) for themselves alone."""
    convo = turn.convo
    if convo.intent != "book" or len(convo.people) > 1 or not convo.wait_window:
        return None
    start, end = (datetime.fromisoformat(w) for w in convo.wait_window)
    if _one_day(start, end, turn.zone) != day:
        return None
    return f"Join the waiting list for {render.day_label(start, turn.zone)}", choices.WAITLIST


def _one_day(start: datetime, end: datetime, zone: str) -> date | None:
    """The day a window lies in, when it lies in one day."""
    tz = ZoneInfo(zone)
    first, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
    return first if first == last else None


def search(turn: Turn, start: datetime, end: datetime, around: datetime | None, *,
           limit: int | None = PAGE, distinct: bool = True) -> list[FreeSlot]:
    """Free times in [start, end) for the service (and provider) being booked, the nearest to `around` first.

    `distinct`: one line per start time (with "anyone", whoever comes first). Only what is shown is asked
    of the booking core: the window, and each provider's first `limit` times in it."""
    if end <= start:
        return []
    if around is not None and limit is not None:
        return _nearest(turn, start, end, around, limit, distinct)
    return _first(turn, start, end, limit, distinct)


def _first(turn: Turn, start: datetime, end: datetime, limit: int | None, distinct: bool) -> list[FreeSlot]:
    """The first `limit` free times in [start, end) (all when None), by start."""
    convo = turn.convo
    first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
    # A provider's `limit`-th time is preceded by `limit` - 1 of theirs, so the first `limit` distinct
    # starts of everyone lie among each provider's first `limit`.
    found = turn.bookings.find_slots(service_id=convo.service_id, provider_id=convo.provider_id, first_day=first,
                                     last_day=min(last, first + timedelta(days=90)), holder=turn.holder,
                                     moving=convo.appointment_id, not_before=start, before=end, limit=limit)
    seen, inside = set(), []
    for slot in found:
        if start <= slot.start < end and (not distinct or slot.start not in seen):
            seen.add(slot.start)
            inside.append(slot)
    return inside[:limit]


NEAR = timedelta(hours=1)  # how far either side of the time asked the nearest free times are first looked for


def _nearest(turn: Turn, start: datetime, end: datetime, around: datetime, limit: int,
             distinct: bool) -> list[FreeSlot]:
    """The `limit` free times in [start, end) nearest to `around` (the earlier of two as near), by start.

    Looked for within `reach` of `around`, widened until the farthest kept is nearer than `reach` (so
    nothing outside can be nearer) or the window is covered."""
    reach = NEAR
    while True:
        low, high = max(start, around - reach), min(end, around + reach)
        nearest = sorted(_first(turn, low, high, None, distinct), key=lambda s: abs(s.start - around))[:limit]
        if (low, high) == (start, end) or (len(nearest) == limit and abs(nearest[-1].start - around) < reach):
            return sorted(nearest, key=lambda s: s.start)
        reach *= 4


def _remember(turn: Turn, slots: list[FreeSlot]) -> None:
    turn.convo.offered = [{"start": s.start.isoformat(), "provider": s.provider_id} for s in slots]


def _show(turn: Turn, slots: list[FreeSlot], intro: str | None, asked_day: date | None = None,
          wait: tuple[str, str] | None = None) -> State:
    """The times as options to pick, kept in the conversation (a pick names one by its place), and `wait`
    (joining the waiting list for the day asked) beside them.

    Every label names its day when the times are on several days, or not on the day asked."""
    convo = turn.convo
    _remember(turn, slots)
    days = {s.start.astimezone(ZoneInfo(turn.zone)).date() for s in slots}
    with_day = len(days) > 1 or (asked_day is not None and days != {asked_day})
    named = convo.provider_id is None and len(turn.catalogue.offers.get(convo.service_id, ())) > 1
    picks = [(render.slot_label(s.start, turn.zone, turn.provider_name(s.provider_id) if named else None,
                                show_day=with_day), choices.slot(i)) for i, s in enumerate(slots)]
    what = f"a {turn.service_name(convo.service_id)}" if len(convo.people) < 2 else party.how_many(turn)
    who = f" with {turn.provider_name(convo.provider_id)}" if convo.provider_id else ""
    day = "" if len(days) > 1 else " " + render.day_label(slots[0].start, turn.zone, turn.now)
    turn.say(intro or f"Free times for {what}{who}{day} ({render.zone_label(turn.zone)}):",
             picks + ([wait] if wait else []) + [("Later", choices.LATER), ("Another day", choices.OTHER_DAY)])
    return SHOWING_TIMES


def later(turn: Turn) -> State:
    """The next free times after the last ones shown."""
    convo = turn.convo
    shown = _shown_day(turn)
    if convo.offered:
        convo.window_start = (datetime.fromisoformat(convo.offered[-1]["start"]) + timedelta(seconds=1)).isoformat()
    convo.around = None
    end = datetime.fromisoformat(convo.window_end)
    start = datetime.fromisoformat(convo.window_start)
    slots = search(turn, start, end, None)
    if not slots:
        convo.window_end = (end + LOOK_AHEAD).isoformat()
        slots = search(turn, start, end + LOOK_AHEAD, None)
    if not slots:
        return show_times(turn)
    return _show(turn, slots, None, asked_day=shown)


def earlier(turn: Turn, before: datetime) -> State:
    """Free times before `before` on its day, the nearest first ("anything earlier?")."""
    zone = ZoneInfo(turn.zone)
    day_start = datetime.combine(before.astimezone(zone).date(), time(0), zone)
    slots = search(turn, max(day_start, turn.now), before, before)
    if not slots:
        turn.say(f"Sorry, there's nothing earlier {render.day_label(before, turn.zone, turn.now)}.")
        return show_times(turn) if turn.convo.window_start else other_day(turn)
    turn.convo.window_start, turn.convo.window_end = day_start.isoformat(), (day_start + timedelta(days=1)).isoformat()
    return _show(turn, slots, f"Earlier free times {render.day_label(before, turn.zone, turn.now)} "
                              f"({render.zone_label(turn.zone)}):")


def neighbour(turn: Turn, of: datetime, step: int) -> State:
    """The free time just before (`step` -1) or after (+1) `of` on its day: held and confirmed."""
    zone = ZoneInfo(turn.zone)
    day_start = datetime.combine(of.astimezone(zone).date(), time(0), zone)
    slots = search(turn, max(day_start, turn.now), day_start + timedelta(days=1), None, limit=None)
    if turn.convo.picked is not None:
        slots = [s for s in slots if s.provider_id == turn.convo.picked["provider"]] or slots
    side = [s for s in slots if (s.start < of if step < 0 else s.start > of)]
    if not side:
        turn.say(f"Sorry, there's nothing {'earlier' if step < 0 else 'later'} that day.")
        return other_day(turn)
    _remember(turn, [side[-1] if step < 0 else side[0]])
    return pick(turn, 0)


def beside(turn: Turn, base) -> State:
    """A time for one more person beside appointment `base`: the same time with another provider, else
    just after (or before) it with the same one; else the free times nearest to it that day."""
    convo = turn.convo
    service = turn.catalogue.services[base.service_id]
    block = timedelta(minutes=service.duration_minutes + service.buffer_before_minutes
                      + service.buffer_after_minutes)
    for provider_id, start in ((None, base.start_at), (base.provider_id, base.start_at + block),
                               (base.provider_id, base.start_at - block)):
        convo.provider_id = provider_id
        free = search(turn, start, start + timedelta(minutes=1), None, limit=1)
        if free:
            _remember(turn, free)
            return pick(turn, 0)
    convo.provider_id = None
    return show_times(turn)


def _shown_day(turn: Turn) -> date | None:
    days = {datetime.fromisoformat(o["start"]).astimezone(ZoneInfo(turn.zone)).date() for o in turn.convo.offered}
    return days.pop() if len(days) == 1 else None


def other_day(turn: Turn) -> State:
    turn.convo.window_start = turn.convo.window_end = turn.convo.around = None
    turn.say("Which day would suit you better?", WHEN_CHOICES[1:])
    return ASK_WHEN


def pick(turn: Turn, index: int, *, lead: str = "") -> State:
    """Hold the picked time (and one beside it for each other person) while they confirm."""
    convo = turn.convo
    if not 0 <= index < len(convo.offered):
        turn.say(f"Please pick one of the {len(convo.offered)} times above.")
        return SHOWING_TIMES
    chosen = dict(convo.offered[index])
    moving = convo.intent == "reschedule"
    party.release(turn)
    others = party.plan(turn, chosen) if len(convo.people) > 1 and not moving else []
    if others is None:
        asked = render.clock(datetime.fromisoformat(chosen["start"]), turn.zone)
        turn.say(f"Sorry, I can't fit {party.how_many(turn)} at {asked}. Please pick another time.")
        return show_times(turn)
    # A visitor who must still prove who they are holds nothing: else a script that never proves
    # anything could keep times from real clients, a few at a time, for as long as it likes.
    # A move is held like a booking (its client has an appointment, so is known).
    if moving or not verify_flow.needed(turn):
        state = _hold(turn, [chosen, *others])
        if state is not None:
            return state
    if convo.people and convo.people[0] is not None:
        chosen["who"] = convo.people[0]
    convo.picked, convo.booking_key = chosen, uuid.uuid4().hex
    convo.party = [{**slot, "who": who, "name": None, "key": uuid.uuid4().hex}
                   for slot, who in zip(others, convo.people[1:])]
    return ask_again(turn, lead)


def ask_again(turn: Turn, lead: str = "") -> State:
    """The summary of the time picked (and held), and "Shall I book it?"."""
    moving, others = turn.convo.intent == "reschedule", bool(turn.convo.party)
    question = " Shall I move it?" if moving else "\nShall I book them?" if others else " Shall I book it?"
    yes = "Yes, move it" if moving else "Yes, book them" if others else "Yes, book it"
    turn.say(lead + party.summary(turn) + question, [(yes, choices.YES), ("No, other times", choices.NO)])
    return CONFIRMING


def _moving(turn: Turn) -> int | None:
    """The appointment being moved, if this is a move: its own time does not stand in its way."""
    return turn.convo.appointment_id if turn.convo.intent == "reschedule" else None


def _hold(turn: Turn, slots: list[dict]) -> State | None:
    """Hold every slot, each under its own holder; a state to go to when one cannot be held, else None."""
    for i, slot in enumerate(slots):
        try:
            turn.bookings.hold(service_id=turn.convo.service_id, provider_id=slot["provider"],
                               start=datetime.fromisoformat(slot["start"]), holder=turn.holder_of(i),
                               origin=turn.inbound.origin, moving=_moving(turn))
        except errors.TooManyHolds:
            party.release(turn, len(slots))
            turn.say("Sorry, I can't keep that time for you just now: too many times are being held from "
                     "your connection at once. Please finish those bookings (or wait a few minutes) and try again.")
            return SHOWING_TIMES
        except errors.BookingError:
            party.release(turn, len(slots))
            return show_times(turn, intro="Sorry, someone else has just taken that time. Here is what's free now:")
    return None
