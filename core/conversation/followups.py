"""Follow-ups: a message that changes only part of what is being discussed, read in its context.

A receptionist keeps the thread. Asked about Thursday, "hmm no, a bit later, like 2ish?", "ok 4
then" and "make it 10 instead" give only a clock time: it is on Thursday. "an hour later" and
"30 min earlier" move the time being discussed; "same time" keeps it, on the day they name
("actually same time on friday") or the one being discussed ("fine, that day then, same time",
the day of the times on show); "no, friday" keeps the clock time they asked for on the new day.
`resolve` rewrites `turn.heard.time` into the absolute time meant, so the rest of the flow reads
an ordinary time; nothing here decides what to do with it.

What is being discussed (`Discussed`): the time picked and being confirmed, else the day of the
times on show (or of the window looked at) and the clock time they asked for. A move of an
appointment discusses that appointment (`shifted`, used by the manage flow).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.conversation.nlu import understand
from core.conversation.state import ASK_WHEN, CONFIRMING, SHOWING_TIMES
from core.conversation.turn import Turn
from core.timeparse import TimeValue

_AMOUNT = r"(?P<n>an?|one|two|three|four|five|six|\d{1,3}|half an?|a couple of|a few)"
SHIFT = re.compile(r"\b" + _AMOUNT + r"\s*(?P<unit>hours?|hrs?|h|minutes?|mins?)\s+(?:and a half\s+)?"
                   r"(?P<way>later|earlier|after|before|sooner|on)\b")
PUSH = re.compile(r"\b(?P<way>push|move|bring)\s+(?:it\s+)?(?:back|forward|on)?\s*(?:by\s+)?" + _AMOUNT
                  + r"\s*(?P<unit>hours?|hrs?|h|minutes?|mins?)\b")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "half a": 0.5,
           "half an": 0.5, "a couple of": 2, "a few": 3}
SAME_TIME = re.compile(r"\b(same|that) time\b")
THAT_DAY = re.compile(r"\b(that|the same|same) day\b")
NAMES_TODAY = re.compile(r"\b(today|tonight|this (morning|afternoon|evening))\b")
EARLIER_ONE = re.compile(r"\bthe (earlier|earliest|first) (one|time|slot)\b|^\W*(the )?earlier one\W*$")
LATER_ONE = re.compile(r"\bthe (later|latest) (one|time|slot)\b|^\W*(the )?later one\W*$")
NEIGHBOUR = re.compile(r"\bthe (one|time|slot) (?P<way>before|after)\b"
                       r"|\bthe (?P<which>previous|next) (one|time|slot)\b")
EARLIER = re.compile(r"\b(earlier|sooner)\b")
DIGIT = re.compile(r"\d")
TIME_LIKE = re.compile(r"\d{1,2}([:.]\d{2})?(ish|am|pm|h)?")
MOVE_CUE = re.compile(r"\b(make it|instead|change it|push it|bring it|move it|can we do|could we do)\b")
FOLLOWING = (SHOWING_TIMES, CONFIRMING, ASK_WHEN)


@dataclass(frozen=True)
class Discussed:
    """The day and the clock time the conversation is about (either may be unknown)."""

    day: date | None
    clock: time | None
    zone: str

    @property
    def instant(self) -> datetime | None:
        if self.day is None or self.clock is None:
            return None
        return datetime.combine(self.day, self.clock, ZoneInfo(self.zone))


def discussed(turn: Turn) -> Discussed:
    convo, zone = turn.convo, turn.zone
    asked = time.fromisoformat(convo.asked_clock) if convo.asked_clock else None
    if convo.picked is not None and turn.state == CONFIRMING:
        local = datetime.fromisoformat(convo.picked["start"]).astimezone(ZoneInfo(zone))
        return Discussed(local.date(), local.time(), zone)
    days = {datetime.fromisoformat(o["start"]).astimezone(ZoneInfo(zone)).date() for o in convo.offered}
    if turn.state == SHOWING_TIMES and len(days) == 1:
        return Discussed(days.pop(), asked, zone)
    if convo.intent == "reschedule" and convo.appointment_id is not None and not convo.window_start:
        appt = turn.bookings.appointment(convo.appointment_id)  # moving it: from its own time
        if appt is not None:
            local = appt.start_at.astimezone(ZoneInfo(zone))
            return Discussed(local.date(), local.time(), zone)
    if convo.window_start:
        return Discussed(datetime.fromisoformat(convo.window_start).astimezone(ZoneInfo(zone)).date(), asked, zone)
    return Discussed(None, asked, zone)


def resolve(turn: Turn) -> None:
    """Read a follow-up in the context of the booking being discussed: `turn.heard.time` becomes the time meant."""
    heard = turn.heard
    if heard is None or turn.state not in FOLLOWING or turn.convo.intent not in (None, "book", "reschedule"):
        return
    meant = _meant(turn, discussed(turn))
    if meant is not None:
        turn.heard = dataclasses.replace(heard, time=meant, later=False, other_day=False)
    elif shift_of(heard.text.lower()) is not None:  # "an hour later" with no time to move: not now + 1 h
        turn.heard = dataclasses.replace(heard, time=None)


def alternative(turn: Turn) -> TimeValue | None:
    """The second time of "5pm or 6pm", on the first one's day when it names no day of its own."""
    heard = turn.heard
    if heard is None or heard.other_time is None or heard.time is None:
        return None
    return _on_day_of(turn, heard.other_time, heard.time)


def _meant(turn: Turn, seen: Discussed) -> TimeValue | None:
    heard, text = turn.heard, turn.heard.text.lower()
    shift = shift_of(text)
    if shift is not None:
        return _exact(seen.instant + shift) if seen.instant is not None else None
    if SAME_TIME.search(text) and seen.clock is not None:
        day = _named_day(heard.time) or seen.day
        return _exact(datetime.combine(day, seen.clock, ZoneInfo(seen.zone))) if day else None
    if seen.day is None:
        return None
    if _is_clock(heard.time):
        return _clock_only(turn, seen.day)
    if heard.time is None and heard.service_id is None and _bare_numbers(text):
        return _clock_only(turn, seen.day, latent=True)
    day = _named_day(heard.time)
    if day is not None and seen.clock is not None and heard.intent not in ("browse",) and not heard.question:
        return _exact(datetime.combine(day, seen.clock, ZoneInfo(seen.zone)))
    if heard.time is None and THAT_DAY.search(text):
        start = datetime.combine(seen.day, time(0), ZoneInfo(seen.zone))
        return TimeValue(kind="instant", start=start, end=None, grain="day")
    return None


def shift_of(text: str) -> timedelta | None:
    """ "an hour later" -> +1 h, "30 min earlier" -> -30 min, "push it back an hour" -> +1 h; else None."""
    found = SHIFT.search(text) or PUSH.search(text)
    if found is None:
        return None
    amount = int(found["n"]) if found["n"].isdigit() else NUMBERS[found["n"]]
    if "and a half" in found[0]:
        amount += 0.5
    size = timedelta(hours=amount) if found["unit"].startswith("h") else timedelta(minutes=amount)
    earlier = found["way"] in ("earlier", "before", "sooner", "bring") or re.search(r"\bforward\b", found[0])
    return -size if earlier else size


def for_move(turn: Turn, start: datetime) -> TimeValue | None:
    """The time a move asks for, read from the appointment's own (`start`): "an hour later", "4pm
    instead" (that day), "to friday" (that clock time); else the time named, if any."""
    local = start.astimezone(ZoneInfo(turn.zone))
    return _meant(turn, Discussed(local.date(), local.time(), turn.zone)) or turn.heard.time


def moves_booked(turn: Turn) -> bool:
    """Whether a message said with nothing being discussed changes an appointment: "could we make it
    an hour later?", "make it 4pm instead" (what it changes is the manage flow's to find)."""
    heard = turn.heard
    if heard is None or heard.service_id is not None or heard.intent not in (None, "reschedule"):
        return False
    text = heard.text.lower()
    said_time = heard.time is not None or _bare_numbers(text)  # "make it 4 instead"
    return shift_of(text) is not None or (said_time and bool(MOVE_CUE.search(text)))


def which_shown(turn: Turn) -> int | None:
    """ "the earlier one", "the later one": which of the times on show (by its place), else None."""
    text, offered = turn.heard.text.lower(), turn.convo.offered
    if not offered or turn.state != SHOWING_TIMES:
        return None
    starts = [o["start"] for o in offered]
    if EARLIER_ONE.search(text):
        return starts.index(min(starts))
    if LATER_ONE.search(text):
        return starts.index(max(starts))
    return None


def neighbour(turn: Turn) -> int | None:
    """ "the one before" (-1) or "the one after" (+1) the time being discussed; None when not said."""
    found = NEIGHBOUR.search(turn.heard.text.lower()) if turn.heard is not None else None
    if found is None:
        return None
    return -1 if (found["way"] or found["which"]) in ("before", "previous") else 1


def _on_day_of(turn: Turn, value: TimeValue, first: TimeValue) -> TimeValue:
    if not _is_clock(value) or not _is_clock(first):
        return value
    zone = ZoneInfo(turn.zone)
    day = first.start.astimezone(zone).date()
    return _exact(datetime.combine(day, value.start.astimezone(zone).time(), zone))


def _clock_only(turn: Turn, day: date, latent: bool = False) -> TimeValue | None:
    """The time the message names read as if said on `day`, when it names only a clock time."""
    zone = ZoneInfo(turn.zone)
    if NAMES_TODAY.search(turn.heard.text.lower()):
        return None
    cat = turn.catalogue
    again = understand(turn.heard.text, services=cat.service_names(), providers=cat.provider_names(),
                       resources=cat.resource_names(), now=datetime.combine(day, time(0), zone), tz=zone,
                       latent=latent).time
    if not _is_clock(again) or again.start.astimezone(zone).date() != day:
        return None
    original = turn.heard.time
    if original is not None and original.start.astimezone(zone).time() != again.start.astimezone(zone).time():
        return None
    if original is not None and (original.start.astimezone(zone).date() - turn.now.astimezone(zone).date()).days > 1:
        return None  # it named a day of its own ("on the 3rd at 4")
    return again


def _bare_numbers(text: str) -> bool:
    """Whether a short message has a number that can only be a time ("like 2ish", "ok 4 then"), and no code
    or other figure ("ABC123", "2 people")."""
    words = re.findall(r"[\w']+", text)
    numbers = [w for w in words if DIGIT.search(w)]
    return 0 < len(numbers) <= 2 and len(words) <= 8 and all(TIME_LIKE.fullmatch(w) for w in numbers)


def _is_clock(value: TimeValue | None) -> bool:
    return value is not None and value.kind == "instant" and value.grain in ("minute", "hour") \
        and value.start is not None


def _named_day(value: TimeValue | None) -> date | None:
    if value is None or value.kind != "instant" or value.grain != "day" or value.start is None:
        return None
    return value.start.date()


def _exact(moment: datetime) -> TimeValue:
    return TimeValue(kind="instant", start=moment, end=None, grain="minute")
