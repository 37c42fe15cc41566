"""Telling a question from a request: "what does a blow-dry cost?" asks, "a blow-dry tomorrow" books.

`question_kind` names what a message asks about, or None when it is no question we answer
from the business's data (a booking, a pick, yes or no). The answers are in `questions`.

Kinds:
- "price", "duration": what a service costs, how long it takes (or all of them, none named);
- "services": what the business does;
- "hours": when it opens and closes, or is closed;
- "working": whether a provider works on a day, or when;
- "free": what is free on a day, no service named;
- "small_talk": a greeting, thanks, "how are you?", the weather: one friendly line back.
"""
from __future__ import annotations

import re

KINDS = ("price", "duration", "services", "hours", "working", "free", "small_talk")
ASKS = r"(\?\s*$|^(what|when|how|is|are|do|does|will|would|can|could|which|where|who|till|until)\b)"
# "is Alex in on monday?" asks; "with Sam in the afternoon?" corrects a booking.
ASKS_ABOUT_SOMEONE = r"^(is|are|does|do|will|when|what|which|has)\b"
PRICE = r"\bhow much\b|\b(cost|costs|price|prices|pricing|charge|charges|fee|fees|expensive)\b"
DURATION = r"\bhow long\b|\bduration\b|\bhow many (minutes|mins|hours)\b"
SERVICES = (r"\b(what|which) (services|treatments)\b|\bwhat (else )?(do|can) you (do|offer)\b|\bwhat do you have\W*$"
            r"|\b(your|the) (services|treatments|menu|price ?list)\b|^(services|treatments|menu|price ?list)\W*$")
HOURS = r"\b(open|opens|opening|close|closes|closing|closed|shut|shuts|hours)\b"
WORKING = r"\b(work|works|working|in|off|around|there|here|on duty|on shift|about)\b"
SMALL_TALK = (r"\bhow (are|r) (you|u)\b|\bhow'?s (it going|things|your day)\b|\bhow are things\b|\bweather\b"
              r"|\b(lovely|nice|beautiful|great) (day|morning|afternoon|evening)\b|\bgood to (see|hear)\b"
              r"|\b(good ?bye|bye|see you|take care|have a (good|nice|great) (day|one|evening|weekend))\b")
NOT_QUESTIONS = ("restart", "help", "waitlist", "cancel", "reschedule", "list")


def question_kind(clean: str, *, intent: str | None, service: bool, provider: bool, time: bool) -> str | None:
    """What the (lower-case) message asks about, given what was understood in it; None for no question."""
    if intent in NOT_QUESTIONS:
        return None
    asks = bool(re.search(ASKS, clean))
    if re.search(SERVICES, clean) and not service:
        return "services"
    if re.search(PRICE, clean) and (asks or service):
        return "price"
    if re.search(DURATION, clean):
        return "duration"
    if intent == "book":
        return None
    if re.search(HOURS, clean) and asks and not service and not provider and intent != "browse":
        return "hours"
    if provider and not service and re.search(ASKS_ABOUT_SOMEONE, clean) and re.search(WORKING, clean) \
            and intent != "browse":
        return "working"
    if intent == "browse" and not service:
        return "free"
    return _small_talk(clean, intent, service, provider, time)


def _small_talk(clean: str, intent: str | None, service: bool, provider: bool, time: bool) -> str | None:
    """A greeting, thanks or chat with nothing to book in it ("hi, tomorrow at 3?" books)."""
    if service or provider or intent not in (None, "greet", "thanks"):
        return None
    chat = re.search(SMALL_TALK, clean)
    if chat or (intent in ("greet", "thanks") and not time):
        return "small_talk"
    return None
