"""Recurring series by chat: "every Tuesday at 10 for 6 weeks", "every other Friday at 4 until March",
"same time every week" (the time being discussed, or the weeks after the last booking); and "cancel all
my Tuesday sessions", which asks whether one or all.

A series is planned first (`Bookings.plan_series` books nothing) and summarised: "6 Tuesdays at 10:00
(London time) from Tue 1 Dec to Tue 5 Jan with Sam: 5 free, 8 Dec is taken (nearest: 11:00). Book the
5?"; yes books it (`Bookings.book_series`: each occurrence under a single booking's guards) and lists the
dates and codes. The plan is plain data in `Conversation.series` between turns; each handler returns the
next state. The recurrence phrase itself is read by `core.timeparse.recurrence` (in `nlu`).
"""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.booking import errors
from core.conversation import choices, names, render, verify_flow
from core.conversation.series_cancel import ALL, MANY, ONE, ask_one_or_all, cancel_choice
from core.conversation.state import CONFIRM_SERIES, IDLE, SERIES_ASK, SERIES_ONE_OR_ALL, State
from core.conversation.turn import Turn
from core.timeparse.recurrence import MAX_COUNT, count_of

SUGGESTED_WEEKS = (4, 6, 8)  # offered when they did not say how many; the first is the suggestion
TAKEN = {"slot_taken": "taken", "slot_held": "being booked by someone else", "resource_busy": "taken",
         "outside_hours": "outside opening hours", "daily_limit": "fully booked", "too_far_ahead": "too far ahead",
         "too_soon": "too soon", "no_such_time": "skipped by the clock change", "booking_limit": "over your limit"}


@dataclass
class Plan:
    """A series being planned: the first start (ISO UTC), every `weeks` weeks, `count` times or until `until`."""

    service: int | None
    provider: int | None
    start: str
    weeks: int = 1
    count: int | None = None
    until: str | None = None
    key: str = ""
    step: str | None = None  # what SERIES_ASK waits for: "service", "count" or "name"
    rule: str | None = None  # the RRULE summarised, booked on yes

    @classmethod
    def of(cls, data: dict) -> Plan:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def answer(turn: Turn) -> State | None:
    """A message about a series (its questions, a recurrence, "cancel all my ..."); None when it is not."""
    heard, state, convo = turn.heard, turn.state, turn.convo
    plan = Plan.of(convo.series) if convo.series and "start" in convo.series else None
    if state == SERIES_ONE_OR_ALL and convo.series and heard.number is None:
        word = "all" if ALL.search(heard.text.lower()) else "one" if ONE.search(heard.text.lower()) else None
        if word:
            return cancel_choice(turn, word)
    if state == SERIES_ASK and plan is not None and heard.repeat is None:
        if plan.step == "name":
            return _take_name(turn, plan)
        if plan.step == "count" and count_of(heard.text):
            plan.count, plan.until = count_of(heard.text), None
            return _go(turn, plan)
        if plan.step == "service" and heard.service_id is not None:
            plan.service = heard.service_id
            return _go(turn, plan)
    if state == CONFIRM_SERIES and plan is not None and heard.repeat is None:
        if count_of(heard.text):  # "make it 4" -> "4": how many, again
            plan.count, plan.until = count_of(heard.text), None
            return _go(turn, plan)
        if heard.yes or heard.no:
            return _confirm(turn, plan) if heard.yes and not heard.no else _declined(turn)
    if heard.intent == "cancel" and MANY.search(heard.text.lower()):
        return ask_one_or_all(turn)
    if heard.repeat is not None and heard.intent not in ("cancel", "reschedule", "list", "waitlist"):
        return start(turn)
    return None


def on_choice(turn: Turn, picked: choices.Picked | None) -> State | None:
    """A button of the series' own questions; None when the pick is not one of them."""
    state, convo = turn.state, turn.convo
    plan = Plan.of(convo.series) if convo.series and "start" in convo.series else None
    if picked is None:
        return None
    if picked.kind == choices.SERIES:
        if picked.word == "weeks" and state == SERIES_ASK and plan is not None and picked.number:
            plan.count, plan.until = min(picked.number, MAX_COUNT), None
            return _go(turn, plan)
        if picked.word in ("one", "all") and state == SERIES_ONE_OR_ALL and convo.series:
            return cancel_choice(turn, picked.word)
        convo.reset()
        turn.menu("That option is from an earlier step. What would you like to do?")
        return IDLE
    if picked.kind == choices.SERVICE and state == SERIES_ASK and plan is not None and plan.step == "service":
        plan.service = picked.number
        return _go(turn, plan)
    if picked.kind in (choices.YES, choices.NO) and state == CONFIRM_SERIES and plan is not None:
        return _confirm(turn, plan) if picked.kind == choices.YES else _declined(turn)
    return None


def start(turn: Turn) -> State:
    """A recurrence was asked for: find its first start, service and provider; ask what is missing."""
    heard, convo = turn.heard, turn.convo
    repeat, value = heard.repeat, heard.time
    service = heard.service_id or convo.service_id
    provider = heard.provider_id or (None if heard.anyone else convo.provider_id)
    first = value.start if value is not None and value.kind == "instant" and value.grain in ("minute", "hour") \
        else None
    if first is None and value is None:  # "same time every week": the time picked, else the last booking's
        if convo.picked:
            first = datetime.fromisoformat(convo.picked["start"])
            provider = provider or convo.picked["provider"]
        else:
            base = _last_booked(turn)
            if base is not None:
                service, provider = service or base.service_id, provider or base.provider_id
                first = _weeks_later(base.start_at, repeat.weeks, turn.catalogue.providers[base.provider_id].timezone)
    convo.reset()
    if first is None:
        turn.menu("Which day and time should it repeat? For example \"every Tuesday at 10 for 6 weeks\".")
        return IDLE
    plan = Plan(service, provider, first.isoformat(), repeat.weeks, repeat.count,
                repeat.until.isoformat() if repeat.until else None, key=uuid.uuid4().hex)
    return _go(turn, plan)


def _go(turn: Turn, plan: Plan) -> State:
    """Ask for the first thing missing (service, how many weeks), or summarise the series."""
    cat, convo = turn.catalogue, turn.convo
    plan.step = None
    if plan.service is None or plan.service not in cat.services:
        plan.step = "service"
        convo.series = asdict(plan)
        turn.say("Which service would you like to book each time?",
                 [(cat.services[i].name, choices.service(i)) for i in cat.services])
        return SERIES_ASK
    if plan.provider is not None and plan.provider not in cat.offers.get(plan.service, set()):
        turn.say(f"{turn.provider_name(plan.provider)} doesn't do {turn.service_name(plan.service)}.")
        plan.provider = None
    if plan.count is None and plan.until is None:
        plan.step = "count"
        convo.series = asdict(plan)
        turn.say(f"How many weeks should I book? I'd suggest {SUGGESTED_WEEKS[0]}.",
                 [(f"{n} weeks", choices.series("weeks", n)) for n in SUGGESTED_WEEKS])
        return SERIES_ASK
    return summarise(turn, plan)


def summarise(turn: Turn, plan: Plan) -> State:
    """ "6 Tuesdays at 10:00 (London time) from ... with Sam: 5 free, 8 Dec is taken (nearest: 11:00). Book the 5?" """
    convo = turn.convo
    plan.rule, clipped = _rule(turn, plan)
    if plan.rule is None:
        turn.menu(f"Sorry, that's further ahead than we take bookings ({turn.catalogue.horizon_days} days).")
        return IDLE
    try:
        plan.provider, occurrences = _best_provider(turn, plan)
    except errors.BookingError as exc:
        turn.menu(f"Sorry, I can't book that series: {exc}.")
        return IDLE
    free = [o for o in occurrences if o.conflict is None]
    head = _head(turn, plan, [o.start for o in occurrences]) + (f" ({clipped})" if clipped else "")
    if not free:
        turn.menu(f"{head}: sorry, none of them is free ({_conflicts(turn, plan, occurrences)}). "
                  f"Would another day or time suit you?")
        return IDLE
    convo.series = asdict(plan)
    if len(free) == len(occurrences):
        turn.say(f"{head}: all {len(free)} are free. Shall I book them?",
                 [(f"Yes, book all {len(free)}", choices.YES), ("No", choices.NO)])
    else:
        turn.say(f"{head}: {len(free)} free, {_conflicts(turn, plan, occurrences)}. Book the {len(free)}?",
                 [(f"Yes, book the {len(free)}", choices.YES), ("No", choices.NO)])
    return CONFIRM_SERIES


def _confirm(turn: Turn, plan: Plan) -> State:
    """Yes: book the series (after their name, if a newcomer), and list what was booked."""
    convo = turn.convo
    if verify_flow.needed(turn):
        convo.reset()
        turn.menu("To book a series here I need to check your phone or email first: please book the first one "
                  "on its own, then say \"same time every week\".")
        return IDLE
    if not turn.client.name:
        plan.step = "name"
        convo.series = asdict(plan)
        turn.say("Lovely. What name should I put the bookings under?")
        return SERIES_ASK
    if turn.desk.allowed("book_ip", turn.inbound.origin) is not None:
        convo.reset()
        turn.menu("Sorry, several bookings have been made from your connection recently. Please call us, or try "
                  "again later.")
        return IDLE
    try:
        done = turn.bookings.book_series(
            service_id=plan.service, provider_id=plan.provider, client_id=turn.enrolled().id,
            start=datetime.fromisoformat(plan.start), recurrence=plan.rule, key=plan.key,
            channel=turn.inbound.channel, holder=turn.holder)
    except errors.BookingError as exc:
        convo.reset()
        turn.menu(f"Sorry, I couldn't book that series: {exc}.")
        return IDLE
    convo.reset()
    convo.booked = done.booked[0].id if done.booked else None
    turn.say(_booked(turn, plan, done), [("My appointments", choices.intent("list")),
                                         ("Book another", choices.intent("book"))])
    return IDLE


def _booked(turn: Turn, plan: Plan, done) -> str:
    what, zone = turn.service_name(plan.service), render.zone_label(turn.zone)
    if not done.booked:
        return f"Sorry, none of them could be booked after all: {_conflicts(turn, plan, done.conflicts)}."
    lines = [f"• {render.when(a.start_at, turn.zone, turn.now)} (code {a.confirmation_code})" for a in done.booked]
    text = "\n".join([f"Booked! {len(done.booked)} × {what} with {turn.provider_name(plan.provider)} ({zone}):",
                      *lines])
    if done.conflicts:
        text += f"\nNot booked: {_conflicts(turn, plan, done.conflicts)}."
    return text


def _declined(turn: Turn) -> State:
    turn.convo.reset()
    turn.menu("OK, I haven't booked them. Anything else?")
    return IDLE


def _take_name(turn: Turn, plan: Plan) -> State:
    match = names.NAME.match(turn.heard.text.strip())
    if not match or turn.heard.intent or turn.heard.number is not None:
        turn.say("Sorry, I didn't get that. What name should I put the bookings under? (Just the name, like "
                 "\"Ana Souza\".)")
        return SERIES_ASK
    name = match[1].strip().title() if match[1].islower() else match[1].strip()
    if turn.client.id is not None:
        turn.desk.set_name(turn.client.id, name)
    turn.client = dataclasses.replace(turn.client, name=name)
    turn.convo.name = name
    return _confirm(turn, plan)


# -- helpers -----------------------------------------------------------------------------------------
def _rule(turn: Turn, plan: Plan) -> tuple[str | None, str | None]:
    """The RRULE for the plan, cut to the booking horizon (and why, when it was cut)."""
    first, step = datetime.fromisoformat(plan.start), timedelta(weeks=plan.weeks)
    # An hour's margin: a week is 167 or 169 hours across a DST change.
    last_open = turn.now + timedelta(days=turn.catalogue.horizon_days) - timedelta(hours=1)
    fits = 0 if first > last_open else 1 + int((last_open - first) / step)
    wanted = plan.count or max(1, -(-(datetime.fromisoformat(plan.until) - first) // step))  # ceil
    count = min(wanted, fits, MAX_COUNT)
    if count < 1:
        return None, None
    clipped = (f"bookings open {turn.catalogue.horizon_days} days ahead, so that's as far as I can book"
               if count < wanted else None)
    interval = f";INTERVAL={plan.weeks}" if plan.weeks > 1 else ""
    return f"FREQ=WEEKLY{interval};COUNT={count}", clipped


def _best_provider(turn: Turn, plan: Plan):
    """The provider asked for, else whoever offering the service is free the most often (then by id)."""
    pids = [plan.provider] if plan.provider is not None else sorted(turn.catalogue.offers.get(plan.service, ()))
    best = None
    for pid in pids:
        occurrences = turn.bookings.plan_series(service_id=plan.service, provider_id=pid, client_id=turn.client.id,
                                                start=datetime.fromisoformat(plan.start), recurrence=plan.rule,
                                                holder=turn.holder)
        free = sum(o.conflict is None for o in occurrences)
        if best is None or free > best[0]:
            best = (free, pid, occurrences)
    if best is None:
        raise errors.NotFound(f"nobody offers {turn.service_name(plan.service)}")
    return best[1], best[2]


def _head(turn: Turn, plan: Plan, starts: list[datetime]) -> str:
    local = starts[0].astimezone(ZoneInfo(turn.zone))
    often = ", every other week," if plan.weeks == 2 else f", every {plan.weeks} weeks," if plan.weeks > 2 else ""
    return (f"{len(starts)} {local:%A}s{often} at {local:%H:%M} ({render.zone_label(turn.zone)}) from "
            f"{render.day_label(starts[0], turn.zone)} to {render.day_label(starts[-1], turn.zone)} with "
            f"{turn.provider_name(plan.provider)}")


def _conflicts(turn: Turn, plan: Plan, items) -> str:
    """ "8 Dec is taken (nearest: 11:00)", for occurrences or conflicts."""
    parts = []
    for item in items:
        conflict = getattr(item, "conflict", item)
        if conflict is None:
            continue
        day = conflict.start.astimezone(ZoneInfo(turn.zone))
        text = f"{day.day} {day:%b} is {TAKEN.get(conflict.code, 'not free')}"
        alts = sorted(conflict.alternatives, key=lambda s: s.provider_id != plan.provider)
        if alts:
            text += f" (nearest: {_alternative(turn, plan, conflict.start, alts[0])})"
        parts.append(text)
    return ", ".join(parts)


def _alternative(turn: Turn, plan: Plan, wanted: datetime, slot) -> str:
    same_day = render.day_label(slot.start, turn.zone) == render.day_label(wanted, turn.zone)
    text = render.clock(slot.start, turn.zone) if same_day else render.when(slot.start, turn.zone)
    return text if slot.provider_id == plan.provider else f"{text} with {turn.provider_name(slot.provider_id)}"


def _last_booked(turn: Turn):
    upcoming = turn.bookings.upcoming(turn.client.id)
    mine = [a for a in upcoming if a.id == turn.convo.booked]
    return mine[0] if mine else (upcoming[-1] if upcoming else None)


def _weeks_later(start: datetime, weeks: int, zone: str) -> datetime:
    """The same wall-clock time `weeks` weeks on, in the provider's zone (a DST change in between keeps it)."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz).replace(tzinfo=None) + timedelta(weeks=weeks)
    return local.replace(tzinfo=tz)
