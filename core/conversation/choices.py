"""Choice values: what a button (or a numbered line) carries back, encoded and decoded here only.

A value comes back from the outside world (a web page, a Telegram callback, a Slack action),
so it is untrusted: `decode` accepts only the exact forms the encoders below write, with ASCII
digits of bounded length, and anything else is None ("that option has expired"), never an error.
Writers use the encoders (`slot(2)`, `remind("confirm", 7)`) and the word constants (`YES`),
never a literal value; readers compare `Picked.kind` with the kind constants.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Kinds of choice that carry an argument: "<kind>:<argument>".
INTENT, SERVICE, WHEN, SLOT, APPOINTMENT, REMIND, REBOOK = "intent", "svc", "when", "slot", "appt", "remind", "rebook"
OFFER = "offer"  # a waiting-list offer's "Book it" / "No thanks": offer:<take|decline>:<offer id>
SERIES = "series"  # a recurring series' questions: series:<one|all>, series:weeks:<n>
# Bare words: each is both the value a button carries and the kind `decode` gives back.
YES, NO, LATER, OTHER_DAY, RESTART = "yes", "no", "later", "otherday", "restart"
WAITLIST = "waitlist"  # "Join the waiting list for Tue 1 Dec": the day is the conversation's, not the button's
WORDS = frozenset({YES, NO, LATER, OTHER_DAY, RESTART, WAITLIST})
LEAVE = "leave"  # "leave:<entry id>": off the waiting list (the entry must be the client's own)

INTENTS = frozenset({"book", "list", "reschedule", "cancel", "help"})
WHENS = frozenset({"soonest", "tomorrow", "week", "nextweek"})
REMIND_ACTIONS = frozenset({"confirm", "cancel", "move"})
OFFER_ACTIONS = frozenset({"take", "decline"})
SERIES_WORDS = frozenset({"one", "all", "weeks"})
_ID = r"[0-9]{1,9}"  # ASCII digits only ("²".isdigit() is True), and small enough for any column
_FORMS = {
    LEAVE: re.compile(rf"{LEAVE}:({_ID})"),
    INTENT: re.compile(rf"{INTENT}:([a-z]{{1,12}})"),
    SERVICE: re.compile(rf"{SERVICE}:({_ID})"),
    WHEN: re.compile(rf"{WHEN}:([a-z]{{1,12}})"),
    SLOT: re.compile(rf"{SLOT}:([0-9]{{1,2}})"),
    APPOINTMENT: re.compile(rf"{APPOINTMENT}:({_ID})"),
    REMIND: re.compile(rf"{REMIND}:([a-z]{{1,12}}):({_ID})"),
    REBOOK: re.compile(rf"{REBOOK}:({_ID})"),
    SERIES: re.compile(rf"{SERIES}:([a-z]{{1,8}})(?::([0-9]{{1,2}}))?"),
    OFFER: re.compile(rf"{OFFER}:([a-z]{{1,12}}):({_ID})"),
}


@dataclass(frozen=True)
class Picked:
    """A decoded choice: its kind (one of the kinds above, or one of WORDS), a word argument and a number."""

    kind: str
    word: str | None = None
    number: int | None = None


def intent(name: str) -> str:
    return f"{INTENT}:{_known(name, INTENTS)}"


def service(service_id: int) -> str:
    return f"{SERVICE}:{service_id}"


def when(name: str) -> str:
    return f"{WHEN}:{_known(name, WHENS)}"


def slot(index: int) -> str:
    return f"{SLOT}:{index}"


def appointment(appointment_id: int) -> str:
    return f"{APPOINTMENT}:{appointment_id}"


def remind(action: str, appointment_id: int) -> str:
    return f"{REMIND}:{_known(action, REMIND_ACTIONS)}:{appointment_id}"


def rebook(appointment_id: int) -> str:
    return f"{REBOOK}:{appointment_id}"


def offer(action: str, offer_id: int) -> str:
    return f"{OFFER}:{_known(action, OFFER_ACTIONS)}:{offer_id}"


def series(word: str, number: int | None = None) -> str:
    """ "series:all" (cancel them all), "series:one", "series:weeks:6" (how many weeks)."""
    return f"{SERIES}:{_known(word, SERIES_WORDS)}" + ("" if number is None else f":{number}")


def leave(entry_id: int) -> str:
    return f"{LEAVE}:{entry_id}"


def _known(word: str, allowed: frozenset[str]) -> str:
    if word not in allowed:  # a value `decode` would refuse: a bug here, not a stale button there
        raise ValueError(f"{word!r} is not one of {sorted(allowed)}")
    return word


def decode(value: str) -> Picked | None:
    """The choice `value` stands for, or None when it is not one this assistant ever wrote."""
    if value in WORDS:
        return Picked(value)
    kind = value.partition(":")[0]
    form = _FORMS.get(kind)
    match = form.fullmatch(value) if form is not None else None
    if match is None:
        return None
    if kind == SERIES:
        return Picked(kind, word=match[1], number=int(match[2]) if match[2] else None) \
            if match[1] in SERIES_WORDS else None
    if kind in (INTENT, WHEN):
        allowed = INTENTS if kind == INTENT else WHENS
        return Picked(kind, word=match[1]) if match[1] in allowed else None
    if kind in (REMIND, OFFER):
        actions = REMIND_ACTIONS if kind == REMIND else OFFER_ACTIONS
        return Picked(kind, word=match[1], number=int(match[2])) if match[1] in actions else None
    return Picked(kind, number=int(match[1]))
