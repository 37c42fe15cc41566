"""Names: the client's, asked once ("What name should I put the booking under?") or said in passing
("haircut with sam tomorrow at 10, it's Maria Garcia", "yes book it, name's Tom Baker"), and the
names of the people they book for ("And what's your son's name?", `party`).

A name in passing is taken only at the end of a message, after words that give a name, and only
words that are no everyday English, no catalogue name and no time: "it's fine", "I'm free at 4"
and "it's for a haircut" give no name. A newcomer's name is kept in the conversation
(`Conversation.name`) until they become a client, when they book.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable

from core.conversation import party
from core.conversation.matching import EVERYDAY
from core.conversation.state import ASK_NAME, State
from core.conversation.turn import Turn

NAME = re.compile(r"^(?:(?:(?:my|his|her|their) name is|i'?m|i am|it'?s|call me|(?:his|her|their )?name'?s|"
                  r"he'?s|she'?s)\s+)?([A-Za-zÀ-ÿ' .-]{2,60})$", re.IGNORECASE)

IN_PASSING = re.compile(r"(?:^|[,.;!-]\s*|\s)(?:it'?s|name'?s|the name'?s|my name is|name is|i'?m|i am|this is|"
                        r"under)\s+(?P<name>[^\W\d_][\w'.-]*(?:\s+[^\W\d_][\w'.-]*){0,2})\s*[.!]*\s*$",
                        re.IGNORECASE)
NEVER_NAMES = frozenset("""
    a an the me my mine you your yours it its for to at on in of by and or but just really so too very not no
    yes yeah ok okay fine good great ready done free busy late early running coming going looking here there
    available sorry thanks ta cheers all right alright perfect lovely brilliant awesome cool sure correct
    wrong urgent afternoon morning evening tonight today tomorrow weekend week noon midday pm am o'clock
    monday tuesday wednesday thursday friday saturday sunday
    mon tue tues wed thu thur thurs fri sat sun
""".split())


def in_passing(text: str, catalogue_words: set[str]) -> str | None:
    """The name a message ends with ("..., it's Maria Garcia"), written as a name; None when it gives none."""
    found = IN_PASSING.search(text.strip())
    if found is None:
        return None
    words = found["name"].split()
    if any(not _may_be_name(w, catalogue_words) for w in words):
        return None
    name = " ".join(words).strip(".")
    return name.title() if name.islower() else name


def _may_be_name(word: str, catalogue_words: set[str]) -> bool:
    """Not an everyday word ("fine", "free"), unless written as a name ("Will", "Hope"); never a catalogue word."""
    lowered = word.lower().strip(".'")
    if lowered in NEVER_NAMES or lowered in catalogue_words:
        return False
    return lowered not in EVERYDAY or word[:1].isupper()


def known(turn: Turn) -> None:
    """The name a newcomer gave, in this message ("..., it's Maria Garcia") or an earlier one."""
    convo = turn.convo
    if turn.heard is not None and turn.state != ASK_NAME and not turn.client.name:
        words = {w.lower() for item in (*turn.catalogue.service_names(), *turn.catalogue.provider_names())
                 for name in item.names for w in name.split()}
        convo.name = in_passing(turn.heard.text, words) or convo.name
        if convo.name and turn.client.id is not None:
            turn.desk.set_name(turn.client.id, convo.name)
    if not turn.client.name and convo.name:
        turn.client = dataclasses.replace(turn.client, name=convo.name)


def take(turn: Turn, book: Callable[[Turn], State]) -> State:
    """In ASK_NAME: the client's name, or the name of someone they book for; then on with the booking (`book`)."""
    match = NAME.match(turn.heard.text.strip())
    if not match or turn.heard.intent or turn.heard.number is not None:
        asked = party.missing_name(turn) or "What name should I put the booking under?"
        turn.say(f"Sorry, I didn't get that. {asked.removeprefix('Lovely. ')} (Just the name, like \"Ana Souza\".)")
        return ASK_NAME
    name = match[1].strip().title() if match[1].islower() else match[1].strip()
    if party.name_for_someone(turn, name):
        return book(turn)
    if turn.client.id is not None:
        turn.desk.set_name(turn.client.id, name)
    # A newcomer is made a client with this name only once the booking goes ahead (`Turn.enrolled`).
    turn.client = dataclasses.replace(turn.client, name=name)
    turn.convo.name = name
    return book(turn)
