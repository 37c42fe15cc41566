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


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, lower-cased, with their spans."""
    tokens: list[Token] = []
    last_end = -1
    for match in _TOKEN.finditer(text.lower()):
        kind = next(kind for name, kind in _KINDS.items() if match.group(name) is not None)
        tokens.append(Token(match.group(), kind, match.start(), match.end(), match.start() == last_end))
        last_end = match.end()
    return tokens
