"""Several people in one request: "two haircuts at 2, for me and my son", "and one more for my daughter".

Each person gets an appointment of their own under their own name: side by side with other
providers when the client did not ask for one (and the service needs no shared room), else
back-to-back with the one provider. `Conversation.people` says whom each appointment is for (None
is the client) and `Conversation.party` keeps the times held for everyone after the first; each
is held under a holder of its own (`Turn.holder_of`), since a holder keeps one hold at a time.

Someone booked for is a client of their own, with no chat, phone or email: their messages go to
the client who booked for them (`Desk.booked_for`), and the confirmation says so.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from core.booking import errors
from core.conversation import render
from core.conversation.turn import Turn
from core.db.models import Appointment

MAX_PEOPLE = 4
GAP = timedelta(minutes=30)  # back-to-back: the next one starts less than this after the last ends
NUMBERS = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
COUNT = re.compile(r"\b(?P<n>two|three|four|[234])\s+(?:[a-z-]+\s+)?(?!(?:hours|minutes|mins|days|weeks|months|"
                   r"years|times|options|ones|things|questions|pm|am)\b)(?P<what>[a-z-]+s|of us)\b")
PAIR = re.compile(r"\b(?:for )?(?:me|myself) and (?:my|our) (?P<a>[a-z]+)\b|\b(?:for )?(?:my|our) (?P<b>[a-z]+) "
                  r"and (?:me|myself|i)\b")
BOTH = re.compile(r"\b(both of us|the two of us|us both|us two)\b")
ONE_MORE = re.compile(r"\b(one more|1 more|another( one)?|same (again|for)|the same)\b")
FOR_SOMEONE = re.compile(r"\bfor (?:my|our) (?P<rel>[a-z]+)\b|\bfor (?P<pron>her|him|them)\b"
                         r"|\b(?:and|also|plus) (?:my|our) (?P<also>[a-z]+) (?:too|as well)\b")
ORDINALS = ("", "the second person", "the third person", "the fourth person")
POSSESSIVE = {"her": "her", "him": "his", "them": "their"}
COUNT_WORDS = {2: "Two", 3: "Three", 4: "Four"}


def take(turn: Turn) -> None:
    """Note who the request is for when it names several people ("for me and my son", "two haircuts")."""
    text = turn.heard.text.lower()
    count, pair = COUNT.search(text), PAIR.search(text)
    n = NUMBERS[count["n"]] if count else 2 if pair or BOTH.search(text) else 1
    if n < 2:
        return
    n = min(n, MAX_PEOPLE)
    relation = pair and (pair["a"] or pair["b"])
    others = [f"your {relation}"] if relation and n == 2 else list(ORDINALS[1:n])
    turn.convo.people = [None, *others]


def one_more(turn: Turn) -> str | None:
    """Whom "and one more for my daughter" (or "my son too") is for; None when no one else is named."""
    text = turn.heard.text.lower()
    found = FOR_SOMEONE.search(text)
    if found is None or not (ONE_MORE.search(text) or found["also"]):
        return None
    return found["pron"] or f"your {found['rel'] or found['also']}"


def plan(turn: Turn, chosen: dict) -> list[dict] | None:
    """Times for everyone after the first beside `chosen`: side by side, else just after (or before) it
    with the same provider; None when they cannot be fitted."""
    convo, cat = turn.convo, turn.catalogue
    service = cat.services[convo.service_id]
    start, mine, n = datetime.fromisoformat(chosen["start"]), chosen["provider"], len(convo.people) - 1
    found = turn.bookings.find_slots(service_id=service.id, provider_id=convo.provider_id,
                                     first_day=start.date() - timedelta(days=1),
                                     last_day=start.date() + timedelta(days=1), holder=turn.holder)
    free = {(s.provider_id, s.start) for s in found}
    if convo.provider_id is None and not service.resources:  # a shared room cannot be in two places
        beside = [p for p in sorted(cat.offers.get(service.id, ())) if p != mine and (p, start) in free]
        if len(beside) >= n:
            return [{"start": chosen["start"], "provider": p} for p in beside[:n]]
    block = timedelta(minutes=service.duration_minutes + service.buffer_before_minutes
                      + service.buffer_after_minutes)
    starts = sorted(t for p, t in free if p == mine)
    for way in (1, -1):
        times = _in_a_row(starts, start, block, n, way)
        if times:
            return [{"start": t.isoformat(), "provider": mine} for t in times]
    return None


def _in_a_row(starts: list[datetime], start: datetime, block: timedelta, n: int, way: int) -> list[datetime]:
    """`n` free starts one right after another from `start` (`way` 1) or right before it (-1): each the
    nearest that leaves room for the one before, no more than a short gap away; [] when there are not."""
    found, edge = [], start
    for _ in range(n):
        if way > 0:
            nxt = next((t for t in starts if t >= edge + block), None)
            if nxt is None or nxt - (edge + block) >= GAP:
                return []
        else:
            nxt = next((t for t in reversed(starts) if t + block <= edge), None)
            if nxt is None or edge - (nxt + block) >= GAP:
                return []
        found.append(nxt)
        edge = nxt
    return found


def how_many(turn: Turn) -> str:
    """ "two Haircuts together" """
    n = len(turn.convo.people)
    return f"{COUNT_WORDS.get(n, str(n)).lower()} {turn.service_name(turn.convo.service_id)}s together"


def release(turn: Turn, count: int | None = None, first: int = 1) -> None:
    """Let go of the times held for the people after the first (or, from `first`=0, all `count` of them)."""
    upto = count if count is not None else 1 + len(turn.convo.party)
    for i in range(first, upto):
        turn.bookings.release_hold(turn.holder_of(i))


def summary(turn: Turn) -> str:
    """What is about to be booked: one line, or one line a person."""
    convo, zone = turn.convo, turn.zone
    service = turn.catalogue.services.get(convo.service_id)
    what = turn.service_name(convo.service_id)
    picked = convo.picked
    start = datetime.fromisoformat(picked["start"])
    if not convo.party:
        minutes = f" ({service.duration_minutes} min)" if service else ""
        for_whom = f", for {picked['who']}" if picked.get("who") else ""
        return (f"{what}{minutes} with {turn.provider_name(picked['provider'])}, "
                f"{render.when(start, zone, turn.now)} {render.zone_label(zone)}{for_whom}.")
    minutes = f" ({service.duration_minutes} min each)" if service else ""
    head = (f"{COUNT_WORDS.get(1 + len(convo.party), '')} {what}s{minutes}, "
            f"{render.day_label(start, zone, turn.now)} ({render.zone_label(zone)}):")
    lines = [f"• {render.clock(datetime.fromisoformat(e['start']), zone)} with {turn.provider_name(e['provider'])}, "
             f"for {e.get('who') or 'you'}" for e in [picked, *convo.party]]
    return "\n".join([head, *lines])


def missing_name(turn: Turn) -> str | None:
    """The question for the first name still missing before booking (the client's own first), else None."""
    everyone = [turn.convo.picked, *turn.convo.party]
    if any(e.get("who") is None for e in everyone) and not turn.client.name:
        return ("Lovely. What name should I put the booking under?" if len(everyone) == 1
                else "Lovely. What name should I put your booking under?")
    someone = next((e for e in everyone if e.get("who") and not e.get("name")), None)
    if someone is None:
        return None
    return f"And what's {_possessive(someone['who'])} name?"


def name_for_someone(turn: Turn, name: str) -> bool:
    """Give `name` to the first person booked for whose name is still missing; False when the client's
    own name is the one missing."""
    everyone = [turn.convo.picked, *turn.convo.party]
    if any(e.get("who") is None for e in everyone) and not turn.client.name:
        return False
    someone = next((e for e in everyone if e.get("who") and not e.get("name")), None)
    if someone is None:
        return False
    someone["name"] = name
    return True


def book_everyone(turn: Turn, client_id: int) -> tuple[list[tuple[Appointment, str | None]], list[str]]:
    """Book the picked time and the party's: (appointment, name if not the client's own) for each booked,
    and whom could not be booked. A refusal of the first is raised, as for any single booking."""
    convo = turn.convo
    everyone = [(convo.picked, convo.booking_key), *((e, e["key"]) for e in convo.party)]
    made, missed = [], []
    for i, (entry, key) in enumerate(everyone):
        who = entry.get("who")
        owner = client_id if who is None else turn.desk.booked_for(client_id, entry["name"])
        try:
            appt = turn.bookings.book(service_id=convo.service_id, provider_id=entry["provider"], client_id=owner,
                                      start=datetime.fromisoformat(entry["start"]), key=key,
                                      channel=turn.inbound.channel, holder=turn.holder_of(i))
        except errors.BookingError:
            if i == 0:
                raise
            missed.append(entry.get("name") or who)
            continue
        made.append((appt, entry.get("name") if who else None))
    return made, missed


def _possessive(who: str) -> str:
    return POSSESSIVE.get(who, who + "'s")
