"""Choice values: what a button (or a numbered line) carries back, encoded and decoded here only.

A value comes back from the outside world (a web page, a Telegram callback, a Slack action),
so it is untrusted: `decode` accepts only the exact forms `encode` writes, with ASCII digits
of bounded length, and anything else is None ("that option has expired"), never an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

INTENTS = frozenset({"book", "list", "reschedule", "cancel", "help"})
WHENS = frozenset({"soonest", "tomorrow", "week", "nextweek"})
REMIND_ACTIONS = frozenset({"confirm", "cancel", "move"})
WORDS = frozenset({"yes", "no", "later", "otherday", "restart"})
_ID = r"[0-9]{1,9}"  # ASCII digits only ("²".isdigit() is True), and small enough for any column
_FORMS = {
    "intent": re.compile(r"intent:([a-z]{1,12})"),
    "svc": re.compile(rf"svc:({_ID})"),
    "when": re.compile(r"when:([a-z]{1,12})"),
    "slot": re.compile(r"slot:([0-9]{1,2})"),
    "appt": re.compile(rf"appt:({_ID})"),
    "remind": re.compile(rf"remind:([a-z]{{1,12}}):({_ID})"),
    "rebook": re.compile(rf"rebook:({_ID})"),
}


@dataclass(frozen=True)
class Picked:
    """A decoded choice: its kind (`intent`, `svc`, `slot`, `yes`...), a word argument and a number."""

    kind: str
    word: str | None = None
    number: int | None = None


def intent(name: str) -> str:
    return f"intent:{name}"


def service(service_id: int) -> str:
    return f"svc:{service_id}"


def when(name: str) -> str:
    return f"when:{name}"


def slot(index: int) -> str:
    return f"slot:{index}"


def appointment(appointment_id: int) -> str:
    return f"appt:{appointment_id}"


def remind(action: str, appointment_id: int) -> str:
    return f"remind:{action}:{appointment_id}"


def rebook(appointment_id: int) -> str:
    return f"rebook:{appointment_id}"


def decode(value: str) -> Picked | None:
    """The choice `value` stands for, or None when it is not one this assistant ever wrote."""
    if value in WORDS:
        return Picked(value)
    kind = value.partition(":")[0]
    form = _FORMS.get(kind)
    match = form.fullmatch(value) if form is not None else None
    if match is None:
        return None
    if kind in ("intent", "when"):
        allowed = INTENTS if kind == "intent" else WHENS
        return Picked(kind, word=match[1]) if match[1] in allowed else None
    if kind == "remind":
        return Picked(kind, word=match[1], number=int(match[2])) if match[1] in REMIND_ACTIONS else None
    return Picked(kind, number=int(match[1]))
