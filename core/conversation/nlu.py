"""Understanding one message: what the client wants and the facts they gave.

Rules, not a model: booking talk is narrow, and rules are predictable, fast and testable.
Facts are all taken from one message ("a haircut with Sam tomorrow after 4" gives service,
provider and time at once); the conversation decides which of them it still needs.

The catalogue's names are found first (`matching`) and blanked out before the time grammar
reads the message, so a digit in a name is never a time ("a check with P1 tomorrow at 3pm").
A "now" in passing ("I've been coming for years now") is not a time either; only one that
asks for now ("can I come in now?", "right now") is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from core.conversation.asking import question_kind
from core.conversation.matching import Named, blank, find_names, first_of, typo_match
from core.timeparse import TimeValue, find_time, impossible
from core.timeparse.recurrence import Repeat, read_repeat

__all__ = ["Named", "Understanding", "pick_number", "understand"]

INTENTS = (  # checked in this order; the first that matches wins
    ("restart", r"\b(start (over|again)|restart|reset|never ?mind|forget (it|that))\b|^/start\b"),
    ("help", r"^\s*(help|\?+|/help|what can you do|how does this work)\b"),
    ("calendar", r"\bcalendar (feed|link|subscription|url)s?\b|\bical\b|\bics (feed|link)\b"
                 r"|\b(add|put|get|sync|export|subscribe)\b.*\b(to|in|into|with|on) (my )?"
                 r"(google |apple |outlook |phone'?s? )?(calendar|cal)\b"),
    ("leave_waitlist", r"^(?!.*\b(put|add|sign) (me|us)\b).*(\b((me|us) off|leave|quit|out of|remove|delete|drop|cancel|"
                       r"no longer|don'?t (want|need))\b(\W+\w+){0,5}\W+wait(ing)?[ -]?lists?\b"
                       r"|\bwait(ing)?[ -]?lists?\b[^.?!]*\b(any ?more|no more)\b)"),
    ("waitlist", r"\bwait(ing)?[ -]?list\b|\blet me know if\b|\bnotify me\b"),
    ("cancel", r"\bcancel|\bcall (it )?off\b|\bcan'?t make it\b|\bcannot make it\b|^/cancel\b"),
    ("reschedule", r"\b(re-?schedule|move|postpone|push (it )?back|change (the |my )?(time|day|date|appointment|booking))\b"),
    ("list", r"\bmy (appointments?|bookings?)\b|\bwhat (have i|did i) book|\bwhen is my\b|\bupcoming\b|^/mine\b"
             r"|\b(which|what) (appointments?|bookings?)\b.*\b(i|me)\b|\bdo i have (any )?(appointments?|bookings?)\b"),
    ("browse", r"\bwhat'?s? (is )?(free|available|open)\b|\bavailability\b|\bany (free )?(slots|times|openings|space)\b"
               r"|\bare you free\b|\b(have|got) you (got )?anything\b|\bdo you have anything\b"
               r"|\banything (free|available|open|left)\b"),
    ("book", r"\bbook|\bappointment\b|\breserve|\bschedule\b|\bslot\b|^/book\b"),
    ("greet", r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))\b"),
    ("thanks", r"\b(thanks|thank you|thx|cheers|much appreciated)\b"),
)
_YES_WORDS = (r"yes|yep|yeah|yea|yup|y|sure|ok(ay)?|alright|all right|fine|confirm(ed)?|book it|"
              r"sounds (good|great|perfect|fine|lovely)|perfect|great|lovely|brilliant|excellent|awesome|cool|"
              r"please( do)?|do it|go ahead|go for it|correct|absolutely|definitely|of course|"
              r"that'?s (right|fine|great|perfect|good|lovely)|that (works|suits)|works for me|suits me")
YES = rf"^\s*(?:(?:{_YES_WORDS})\b|[👍👌✅🙂😊☺🙏💯])"
NO = r"^\s*(?:(?:no|nope|nah|naw|n|not (really|that one|for me)|don'?t|wrong)\b|[👎❌🙅✖])"
LATER = r"\b(later|after that|anything later|next (ones?|times?|few)|more (times|options|slots)|more)\b"
OTHER_DAY = r"\b(other|another|different) (day|date|time)\b|\bnone of (these|those|them)\b"
ANYONE = r"\b(any ?one|any ?body|whoever|no preference|don'?t mind|doesn'?t matter|any (stylist|provider|of them))\b"
# "now" is a time only when it asks for now; else ("for years now", "now, can I...") it is left out.
ASKS_NOW = re.compile(r"^\W*(right |just )?now\b|\bright now\b|\bnow\s*(\?|please\b|if\b)"
                      r"|\b(in|by|round|over|here|free|available|open|come|me|us) now\b")
NOW = re.compile(r"\bnow\b")
OR = re.compile(r"\bor\b")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": -1}


@dataclass(frozen=True)
class Understanding:
    intent: str | None
    service_id: int | None
    provider_id: int | None
    anyone: bool
    time: TimeValue | None  # None too when the date or time named cannot be (see `impossible`)
    yes: bool
    no: bool
    later: bool
    other_day: bool
    number: int | None  # "2", "the second one": a pick from the last list
    text: str
    impossible: str | None = None  # "there is no 30 February": a date or clock time that does not exist
    question: str | None = None  # what they ask about, not to book: see `asking.KINDS`
    weekday: int | None = None  # a weekday named as such (ISO, 1 = Monday): "on sundays", "is Alex in on monday?"
    other_time: TimeValue | None = None  # a second time offered as an alternative: "5pm or 6pm"
    repeat: Repeat | None = None  # "every Tuesday at 10 for 6 weeks": `time` is then the first of them


def understand(text: str, *, services: list[Named], providers: list[Named], now: datetime,
               tz: tzinfo, resources: list[Named] = (), latent: bool = False) -> Understanding:
    """What one message says: the intent, the catalogue's names, a time, yes/no, a pick, a question.

    `latent=True` reads a bare number as a clock time too ("ok 4 then"): only for a message that
    answers a question about time (`core.timeparse`)."""
    lowered = _lower(text)
    clean = " ".join(lowered.split())
    names = find_names(lowered, {"service": services, "provider": providers, "resource": list(resources)})
    blanked = blank(lowered, [(f.start, f.end) for f in names])
    if not ASKS_NOW.search(clean):
        blanked = NOW.sub("   ", blanked)
    repeat = read_repeat(blanked, now=now, tz=tz)
    if repeat is not None:  # the time grammar reads the first occurrence: "Tuesday at 10"
        blanked = repeat.rest
    local_today = now.astimezone(tz).date()
    cannot_be = impossible(blanked, today=local_today)
    found = None if cannot_be else find_time(blanked, now=now, tz=tz, latent=latent)
    rest = blank(blanked, [found[1]]) if found else blanked
    other = find_time(rest, now=now, tz=tz, latent=latent) if found and OR.search(rest) else None
    service_id = _either(first_of(names, "service"), lambda: typo_match(rest, services))
    provider_id = _either(first_of(names, "provider"), lambda: typo_match(rest, providers))
    intent = next((name for name, pattern in INTENTS if re.search(pattern, clean)), None)
    time_value = found[0] if found else None
    return Understanding(
        intent=intent,
        service_id=service_id,
        provider_id=provider_id,
        anyone=bool(re.search(ANYONE, clean)),
        time=time_value,
        yes=bool(re.search(YES, clean)),
        no=bool(re.search(NO, clean)),
        later=bool(re.search(LATER, clean)),
        other_day=bool(re.search(OTHER_DAY, clean)),
        number=pick_number(clean),
        text=text.strip(),
        impossible=cannot_be,
        question=question_kind(clean, intent=intent, service=service_id is not None,
                               provider=provider_id is not None, time=time_value is not None),
        weekday=_weekday(clean, found, blanked),
        other_time=other[0] if other else None,
        repeat=repeat,
    )


def _either(found: int | None, otherwise) -> int | None:
    return found if found is not None else otherwise()


def _lower(text: str) -> str:
    """Lower case with every character kept in its place (positions found here index the original)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text).replace("’", "'")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY = re.compile(r"\b(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)(day)?s?\b")
_PLURAL = re.compile(r"\b(mon|tues|wednes|thurs|fri|satur|sun)days\b")


def _weekday(clean: str, found: tuple[TimeValue, tuple[int, int]] | None, blanked: str) -> int | None:
    """The weekday meant as every such day: "on sundays", or "on monday" said on its own (not "next monday")."""
    plural = _PLURAL.search(clean)
    if plural:
        return WEEKDAYS.index(plural[1][:3]) + 1
    if found is None or found[0].grain != "day" or found[0].kind != "instant":
        return None
    phrase = blanked[found[1][0]:found[1][1]]
    said = _WEEKDAY.search(phrase)
    if not said or re.search(r"\d|\b(next|this|coming|last|week|after)\b", phrase):
        return None
    return found[0].start.isoweekday()


def match_named(text: str, items: list[Named]) -> int | None:
    """The item whose name or synonym appears in the text as whole words (the longest wins), else a typo of one."""
    lowered = _lower(text)
    return _either(first_of(find_names(lowered, {"item": items}), "item"), lambda: typo_match(lowered, items))


def pick_number(text: str) -> int | None:
    """1-based position picked from a list: "2", "#2", "option 2", "the second one", "last"."""
    match = re.fullmatch(r"(?:option |number |no\.? |#)?(\d{1,2})[.)]?", text.strip())
    if match:
        return int(match[1])
    match = re.fullmatch(r"(?:the )?(first|second|third|fourth|fifth|sixth|last)(?: one| option| time| slot)?(?: please)?",
                         text.strip())
    return ORDINALS[match[1]] if match else None
