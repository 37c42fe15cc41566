"""Answering questions from the business's own data, and then going on where the conversation was.

"What does a blow-dry cost?", "do you open on sundays?", "is Jordan in on christmas eve?",
"what's free on saturday?", "how are you?": `nlu` names the kind of question (`asking`), and
`answer` replies from the catalogue and the providers' schedules (`Desk.working_times`),
never from anything made up. A question asked in the middle of a booking is answered and the
booking's own question is asked again, with its options; nothing is forgotten or released.

A date or time that cannot be ("30 February", "26:00") is answered here too, before anything
tries to book it.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.conversation import booking_flow as booking
from core.conversation import choices, hours
from core.conversation.state import (
    ASK_NAME, ASK_SERVICE, ASK_WHEN, CONFIRM_CANCEL, CONFIRMING, IDLE, OFFER_WAITLIST, PICK_APPOINTMENT,
    SHOWING_TIMES, State,
)
from core.conversation.turn import Turn

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥", "INR": "₹"}
PROMPTS = {  # what each state was waiting for, asked again after an answer
    ASK_SERVICE: "Which service would you like?", ASK_WHEN: "When would you like to come in?",
    SHOWING_TIMES: "Would any of these times suit you?", CONFIRMING: "Shall I go ahead?",
    ASK_NAME: "What name should I put the booking under?", PICK_APPOINTMENT: "Which appointment do you mean?",
    CONFIRM_CANCEL: "Shall I cancel it?", OFFER_WAITLIST: "Shall I put you on the waiting list?",
}
CLOSING = r"\b(close|closes|closing|shut|shuts|until|till|finish|finishes)\b"
OPENING = r"\b(what time|when) do you open\b|\bopening time\b|\bopens? at\b"
HOW_ARE_YOU = r"\bhow (are|r) (you|u)\b|\bhow'?s (it going|things|your day)\b|\bhow are things\b"
BYE = r"\b(good ?bye|bye|see you|take care|have a (good|nice|great) (day|one|evening|weekend))\b"
BOOKING_STATES = (IDLE, ASK_SERVICE, ASK_WHEN, SHOWING_TIMES, CONFIRMING)


def answer(turn: Turn) -> State | None:
    """Answer a question (or a date that cannot be) and return the next state; None when the message
    is not one (the conversation then goes on as usual)."""
    heard = turn.heard
    if heard is None:
        return None
    if heard.impossible:
        return ask_day_again(turn, f"Sorry, {heard.impossible}.")
    if heard.question in (None, "free") and _too_far(turn):
        days = turn.catalogue.horizon_days
        last = hours.day_text((turn.now + timedelta(days=days)).astimezone(ZoneInfo(turn.zone)).date())
        return ask_day_again(turn, f"Sorry, we take bookings up to {days} days ahead (until {last}).")
    kind = heard.question
    if kind is None or (kind == "small_talk" and (heard.yes or heard.no or heard.number is not None)):
        return None
    if kind == "free":
        return free_on_day(turn)
    if kind == "small_talk":
        return small_talk(turn)
    {"price": price, "duration": price, "services": services, "hours": opening_hours,
     "working": working}[kind](turn)
    return resume(turn)


def resume(turn: Turn, lead: str = "") -> State:
    """Ask again what the conversation was waiting for, with the options it showed; the state is kept."""
    prompt = PROMPTS.get(turn.state)
    if prompt is not None:
        offered = [] if turn.state == ASK_NAME else [tuple(c) for c in turn.convo.choices]
        turn.say(lead + prompt, offered)
    return turn.state


def ask_day_again(turn: Turn, sorry: str) -> State:
    """ "Sorry, there is no 30 February." (or the horizon), and ask for the day again, keeping the
    service and provider they named; nothing is looked for on a day made up."""
    turn.say(sorry)
    convo = turn.convo
    if turn.state not in BOOKING_STATES or "reschedule" in (turn.heard.intent, convo.intent):
        return resume(turn)
    booking.take_facts(turn)
    convo.intent = convo.intent or "book"
    convo.window_start = convo.window_end = convo.around = None
    convo.picked = None
    return booking.advance(turn)


def money(amount: Decimal, currency: str | None) -> str:
    """ "£25", "€12.50", "CHF 30"; a plain number when the business set no currency."""
    number = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    if not currency:
        return number
    symbol = SYMBOLS.get(currency.upper(), currency)
    return f"{symbol} {number}" if symbol[-1].isalpha() else f"{symbol}{number}"


def price(turn: Turn) -> None:
    """ "A Blow-dry is £25 and takes 30 min." (the service named, or the one being booked), else the list."""
    service_id = turn.heard.service_id or turn.convo.service_id
    service = turn.catalogue.services.get(service_id)
    if service is None:
        services(turn)
        return
    article = "An" if service.name[:1].lower() in "aeiou" else "A"
    if service.price is None:
        text = f"{article} {service.name} takes {service.duration_minutes} min (I don't have its price here)."
    else:
        cost = money(service.price, turn.catalogue.currency)
        text = f"{article} {service.name} is {cost} and takes {service.duration_minutes} min."
    offer = [(f"Book a {service.name}", choices.service(service.id))] if turn.state == IDLE else []
    turn.say(text + (" Tap below or tell me when you'd like one." if offer else ""), offer)


def services(turn: Turn) -> None:
    """What the business does, with prices and durations (and the option to book each, when not mid-booking)."""
    cat = turn.catalogue
    if not cat.services:
        turn.say("We have no services to book just yet, sorry.")
        return
    currency = turn.catalogue.currency
    lines = []
    for service in cat.services.values():
        about = f" ({service.description})" if service.description else ""
        cost = f"{money(service.price, currency)}, " if service.price is not None else ""
        lines.append(f"• {service.name}{about}: {cost}{service.duration_minutes} min")
    offer = [(f"{s.name} ({s.duration_minutes} min)", choices.service(s.id)) for s in cat.services.values()]
    idle = turn.state == IDLE
    turn.say("\n".join(["Here's what we do:", *lines]) + ("\nWhich would you like to book?" if idle else ""),
             offer if idle else [])


def opening_hours(turn: Turn) -> None:
    """ "We're closed on Sundays.", "On Saturdays we're open 09:00-18:00 (Sam until 13:00).", or the week."""
    times, text = turn.desk.working_times(), turn.heard.text.lower()
    focus = "close" if re.search(CLOSING, text) else "open" if re.search(OPENING, text) else None
    day = _day(turn)
    if turn.heard.weekday:
        turn.say(hours.opening_on_weekday(times, turn.heard.weekday, focus))
    elif day is not None:
        turn.say(hours.opening_on_date(times, day, hours.day_text(day), focus))
    else:
        turn.say(hours.opening_week(times))


def working(turn: Turn) -> None:
    """ "Alex doesn't work on Mondays.", "Jordan is off on Thu 24 Dec.", or the provider's week."""
    times, provider_id = turn.desk.working_times(), turn.heard.provider_id
    if provider_id not in times.schedules:
        turn.say(f"{turn.provider_name(provider_id) or 'They'} isn't taking bookings at the moment.")
        return
    day = _day(turn)
    if turn.heard.weekday:
        turn.say(hours.provider_on_weekday(times, provider_id, turn.heard.weekday))
    elif day is not None:
        turn.say(hours.provider_on_date(times, provider_id, day))
    else:
        turn.say(hours.provider_week(times, provider_id, _today(turn)))


def free_on_day(turn: Turn) -> State | None:
    """ "What's free on Saturday?" with no service known: "On Sat 5 Dec, which service would you like?"
    (None, for the booking flow to show times, when a service is known or no day was named)."""
    heard, convo, cat = turn.heard, turn.convo, turn.catalogue
    day = _day(turn)
    if heard.service_id or convo.service_id or convo.intent == "reschedule" or day is None:
        return None
    ids = [sid for sid in cat.services if heard.provider_id is None or heard.provider_id in cat.offers.get(sid, ())]
    if len(ids) <= 1:
        return None  # nothing to ask: the booking flow takes the one service
    convo.intent = "book"
    booking.take_facts(turn)
    schedules = turn.desk.working_times().schedules
    if any(hours.on_date(s, day) for p, s in schedules.items() if heard.provider_id in (None, p)):
        ask = f"On {hours.day_text(day)}, which service would you like?"
    else:
        closed = "We're closed" if heard.provider_id is None else f"{turn.provider_name(heard.provider_id)} is off"
        ask = (f"{closed} on {hours.day_text(day)}; I'll show the nearest free times after it. "
               "Which service would you like?")
    turn.say(ask, [(f"{cat.services[i].name} ({cat.services[i].duration_minutes} min)", choices.service(i))
                   for i in ids])
    return ASK_SERVICE


def small_talk(turn: Turn) -> State:
    """One friendly line and the offer to help (the menu only on a first hello), then back to where we were."""
    text, heard = turn.heard.text.lower(), turn.heard
    first = f" {turn.client.name.split()[0]}" if turn.client.name else ""
    if re.search(HOW_ARE_YOU, text):
        line = "I'm very well, thanks for asking!"
    elif heard.intent == "thanks":
        line = "You're welcome!"
    elif re.search(BYE, text):
        line = "Bye for now, have a lovely day!"
    elif heard.intent == "greet":
        line = f"Hi{first}! I'm the booking assistant for {turn.catalogue.business_name}, here to help."
    else:
        line = "Nice to hear from you!"
    if turn.state != IDLE:
        turn.say(line)
        return resume(turn, "Where were we? ")
    if heard.intent == "greet" and not turn.convo.choices:
        turn.menu(line + " What can I do for you?")
    elif re.search(BYE, text):
        turn.say(line)
    else:
        turn.say(line + " Anything I can help with?" if heard.intent == "thanks" else line + " How can I help?")
    return IDLE


def _too_far(turn: Turn) -> bool:
    """Whether they ask to book beyond the booking horizon ("in 3 months", "on 15 february")."""
    value, intent = turn.heard.time, turn.heard.intent
    if value is None or value.start is None or intent in ("cancel", "list", "waitlist", "leave_waitlist", "reschedule"):
        return False
    return value.start > turn.now + timedelta(days=turn.catalogue.horizon_days)


def _today(turn: Turn) -> date:
    return turn.now.astimezone(ZoneInfo(turn.zone)).date()


def _day(turn: Turn) -> date | None:
    """The one day the message names ("tomorrow", "on christmas eve", "saturday at 3"), if it names one."""
    value = turn.heard.time
    if value is None or value.start is None:
        return None
    if value.kind == "instant" and value.grain not in ("day", "hour", "minute", "second"):
        return None  # a week, a month: no one day
    if value.kind == "interval" and value.end is not None and value.end - value.start > timedelta(days=1):
        return None
    return value.start.astimezone(ZoneInfo(turn.zone)).date()
