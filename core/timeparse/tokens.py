"""Split a message into tokens that keep their character spans.

Digits and letters are separate tokens ("4pm" is 4, pm; "14april" is 14, april), and each
token knows whether it touches the one before it, so "15h30" stays distinguishable from
"15 h 30". A run of digit groups joined by dots or dashes ("650.650.6500") is one opaque
token, so a phone number never yields a time; written dates ("2015-03-03", "3/3/15") are
kept whole as `date` tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.timeparse.lexicon import MONTHS

_TOKEN = re.compile(r"""
    (?P<iso>\d{4}-\d{1,2}-\d{1,2})(?![\d\-/.])
  | (?P<dmy>\d{1,2}(?P<sep>[/.\-])\d{1,2}(?P=sep)(?:\d{4}|\d{2}))(?![\d\-/.])
  | (?P<junk>\d+(?:[.\-/]\d+){2,})
  | (?P<num>\d+)
  | (?P<word>[a-z]+)
  | (?P<punct>[^\sa-z0-9])
""", re.VERBOSE)


_KINDS = {"iso": "date", "dmy": "date", "junk": "junk", "num": "num", "word": "word", "punct": "punct"}


@dataclass(frozen=True, slots=True)
class Token:
    text: str      # lower-cased
    kind: str      # "num" | "word" | "punct" | "date" | "junk"
    start: int     # character span in the original message
    end: int
    glued: bool    # no white space between this token and the one before it

    @property
    def value(self) -> int:
        return int(self.text)


# Letters with digits glued after them ("P1", "room12", "B2") are a name, not a time: one word token.
# Except where the letters are a month or a time word that may touch its number ("feb13", "at3").
_NAME = re.compile(r"(?<![a-z0-9])([a-z]+)(\d+)(?![a-z0-9:])")
_GLUED_BEFORE_NUMBER = frozenset({"at", "h", "t", "by", "till", "til", "until", "from", "to", "after", "before",
                                  "around", "about", "on", "the", "in"})


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, lower-cased, with their spans."""
    tokens: list[Token] = []
    last_end = -1
    lowered = text.lower()
    names = {m.start(): m.end() for m in _NAME.finditer(lowered)
             if m[1] not in MONTHS and m[1] not in _GLUED_BEFORE_NUMBER}
    position = 0
    for match in _TOKEN.finditer(lowered):
        if match.start() < position:
            continue  # inside a name already taken
        if match.start() in names:
            end = names[match.start()]
            tokens.append(Token(lowered[match.start():end], "word", match.start(), end, match.start() == last_end))
            last_end = position = end
            continue
        kind = next(kind for name, kind in _KINDS.items() if match.group(name) is not None)
        tokens.append(Token(match.group(), kind, match.start(), match.end(), match.start() == last_end))
        last_end = match.end()
    return tokens
