"""Understanding one message: what the client wants and the facts they gave.

Rules, not a model: booking talk is narrow, and rules are predictable, fast and testable.
Facts are all taken from one message ("a haircut with Sam tomorrow after 4" gives service,
provider and time at once); the conversation decides which of them it still needs.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from core.timeparse import TimeValue, find_time

INTENTS = (  # checked in this order; the first that matches wins
    ("restart", r"\b(start (over|again)|restart|reset|never ?mind|forget (it|that))\b|^/start\b"),
    ("help", r"^\s*(help|\?+|/help|what can you do|how does this work)\b"),
    ("waitlist", r"\bwait(ing)?[ -]?list\b|\blet me know if\b|\bnotify me\b"),
    ("cancel", r"\bcancel|\bcall (it )?off\b|\bcan'?t make it\b|\bcannot make it\b|^/cancel\b"),
    ("reschedule", r"\b(re-?schedule|move|postpone|push (it )?back|change (the |my )?(time|day|date|appointment|booking))\b"),
    ("list", r"\bmy (appointments?|bookings?)\b|\bwhat (have i|did i) book|\bwhen is my\b|\bupcoming\b|^/mine\b"),
    ("browse", r"\bwhat'?s? (is )?(free|available|open)\b|\bavailability\b|\bany (free )?(slots|times|openings|space)\b|\bare you (free|open)\b"),
    ("book", r"\bbook|\bappointment\b|\breserve|\bschedule\b|\bslot\b|^/book\b"),
    ("greet", r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))\b"),
    ("thanks", r"\b(thanks|thank you|thx|cheers|much appreciated)\b"),
)
YES = r"^\s*(yes|yep|yeah|yup|y|sure|ok(ay)?|confirm(ed)?|book it|sounds good|perfect|great|please( do)?|do it|correct|that'?s (right|fine|great)|go ahead)\b"
NO = r"^\s*(no|nope|nah|n|not (really|that one)|don'?t|wrong)\b"
LATER = r"\b(later|after that|anything later|next (ones?|times?|few)|more (times|options|slots)|more)\b"
OTHER_DAY = r"\b(other|another|different) (day|date|time)\b|\bnone of (these|those|them)\b"
ANYONE = r"\b(any ?one|any ?body|whoever|no preference|don'?t mind|doesn'?t matter|any (stylist|provider|of them))\b"
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": -1}
WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Named:
    """Something with a name and other names for it: a service (synonyms) or a provider."""

    id: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Understanding:
    intent: str | None
    service_id: int | None
    provider_id: int | None
    anyone: bool
    time: TimeValue | None
    yes: bool
    no: bool
    later: bool
    other_day: bool
    number: int | None  # "2", "the second one": a pick from the last list
    text: str


def understand(text: str, *, services: list[Named], providers: list[Named], now: datetime,
               tz: tzinfo) -> Understanding:
    clean = " ".join(text.lower().replace("’", "'").split())
    found = find_time(text, now=now, tz=tz)
    time_value, rest = (found[0], _cut(clean, found[1])) if found else (None, clean)
    return Understanding(
        intent=next((name for name, pattern in INTENTS if re.search(pattern, clean)), None),
        service_id=match_named(rest, services),
        provider_id=match_named(rest, providers, fuzzy_cutoff=0.85),
        anyone=bool(re.search(ANYONE, clean)),
        time=time_value,
        yes=bool(re.search(YES, clean)),
        no=bool(re.search(NO, clean)),
        later=bool(re.search(LATER, clean)),
        other_day=bool(re.search(OTHER_DAY, clean)),
        number=pick_number(clean),
        text=text.strip(),
    )


def _cut(text: str, span: tuple[int, int]) -> str:
    return (text[:span[0]] + " " + text[span[1]:]).strip()


def match_named(text: str, items: list[Named], fuzzy_cutoff: float = 0.8) -> int | None:
    """The item whose name or synonym appears in the text: the longest exact phrase wins, then a close spelling."""
    words = WORD.findall(text.lower())
    joined = " " + " ".join(words) + " "
    best: tuple[int, int] | None = None  # (name length in words, id)
    for item in items:
        for name in item.names:
            name_words = WORD.findall(name.lower())
            if name_words and f" {' '.join(name_words)} " in joined and (best is None or len(name_words) > best[0]):
                best = (len(name_words), item.id)
    if best is not None:
        return best[1]
    return _fuzzy(words, items, fuzzy_cutoff)


def _fuzzy(words: list[str], items: list[Named], cutoff: float) -> int | None:
    """Typos ("hiarcut", "colur"): compare single words and word pairs with each one-or-two-word name."""
    candidates = words + [a + b for a, b in zip(words, words[1:])] + [f"{a} {b}" for a, b in zip(words, words[1:])]
    by_name = {}
    for item in items:
        for name in item.names:
            if len(name) >= 4:
                by_name.setdefault(name.lower(), item.id)
                by_name.setdefault(name.lower().replace(" ", "").replace("-", ""), item.id)
    for candidate in candidates:
        if len(candidate) < 4:
            continue
        close = difflib.get_close_matches(candidate, list(by_name), n=1, cutoff=cutoff)
        if close:
            return by_name[close[0]]
    return None


def pick_number(text: str) -> int | None:
    """1-based position picked from a list: "2", "#2", "option 2", "the second one", "last"."""
    match = re.fullmatch(r"(?:option |number |no\.? |#)?(\d{1,2})[.)]?", text.strip())
    if match:
        return int(match[1])
    match = re.fullmatch(r"(?:the )?(first|second|third|fourth|fifth|sixth|last)(?: one| option| time| slot)?(?: please)?",
                         text.strip())
    return ORDINALS[match[1]] if match else None
