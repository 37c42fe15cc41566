"""Finding the catalogue's names in a message: exact whole words first, then a careful typo match.

Names (services and their synonyms, providers, resources) are found before anything else reads
the message, so the time grammar never sees "P1" or "room 12" and a synonym never matches
inside another word ("have" is not "shave"). A typo is forgiven only where typos happen: the
first letter kept, one slip in a short name or two in a long one, and never for a word that
is everyday English in its own right ("save" is not a misspelt "shave").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Everyday words a few letters away from a salon's (or a clinic's) names: never typos.
EVERYDAY = frozenset("""
    able about above after again also anything around away back been before best better book booked booking
    call came cant care case check close coming could cute date days does doing done down each early else even
    evening ever face fine first food free from give good great hair hand hard have head hear heard here hers
    high hold home hope hour hours into just keep kind know last late later left less like line little long
    look lots love made make many mine more most much must name need next nice none note once only open other
    over part plan please plus rather read real said same save says see seen send shall shape share
    short should show side slot some soon sort start still stop such sure take tell than thank thanks that
    their them then there these they thing think this those though time times today told tomorrow took trip
    true turn type under until upon used very wait want week well went were what when where which while whom
    will wish with work would year years your yours
""".split())


@dataclass(frozen=True)
class Named:
    """Something with a name and other names for it: a service (synonyms), a provider or a resource."""

    id: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    """A name found in the text: whose it is, what kind of thing, and the characters it covers."""

    kind: str
    id: int
    start: int
    end: int
    words: int


def find_names(text: str, kinds: dict[str, list[Named]]) -> list[Found]:
    """Every catalogue name written out in `text` as whole words, the longer name winning an overlap.

    `text` should be lower case; positions are character positions in it."""
    candidates = []
    for kind, items in kinds.items():
        for item in items:
            for name in item.names:
                words = WORD.findall(name.lower())
                if not words:
                    continue
                pattern = r"(?<!\w)" + r"[\s-]*".join(re.escape(w) for w in words) + r"(?!\w)"
                candidates += [Found(kind, item.id, m.start(), m.end(), len(words)) for m in re.finditer(pattern, text)]
    chosen: list[Found] = []
    for found in sorted(candidates, key=lambda f: (-f.words, -(f.end - f.start), f.start)):
        if all(found.end <= c.start or found.start >= c.end for c in chosen):
            chosen.append(found)
    return sorted(chosen, key=lambda f: f.start)


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the characters of each span replaced by spaces (every other position kept)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def first_of(found: list[Found], kind: str) -> int | None:
    """The id of the longest name of `kind` found (the earliest among equals)."""
    ofkind = [f for f in found if f.kind == kind]
    return max(ofkind, key=lambda f: (f.words, -f.start)).id if ofkind else None


def typo_match(text: str, items: list[Named]) -> int | None:
    """The item a misspelt word (or two words run together) stands for: "hiarcut", "colur", "blow dyr"."""
    words = WORD.findall(text.lower())
    candidates = words + [a + b for a, b in zip(words, words[1:])]
    names: dict[str, int] = {}
    for item in items:
        for name in item.names:
            squeezed = "".join(WORD.findall(name.lower()))
            if len(squeezed) >= 4:
                names.setdefault(squeezed, item.id)
    for candidate in candidates:
        if len(candidate) < 4 or candidate in EVERYDAY:
            continue
        for name, item_id in names.items():
            if candidate[0] == name[0] and distance(candidate, name, limit=1 if len(name) <= 6 else 2):
                return item_id
    return None


def distance(a: str, b: str, *, limit: int) -> bool:
    """Whether `a` is within `limit` edits of `b` (insert, delete, replace, swap two neighbours)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if previous is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous[j - 2] + 1)
        previous, row = row, current
    return row[-1] <= limit
