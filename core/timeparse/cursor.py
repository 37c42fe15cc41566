"""A read position over the tokens, with the small readers every recognizer shares."""
from __future__ import annotations

from core.timeparse.lexicon import ORDINAL_SUFFIXES, ORDINAL_WORDS, TENS_WORDS, UNITS_WORDS
from core.timeparse.tokens import Token


class Cursor:
    """Reads tokens from `i` on; every `accept*` either consumes what it matched or nothing."""

    __slots__ = ("i", "tokens")

    def __init__(self, tokens: list[Token], i: int) -> None:
        self.tokens = tokens
        self.i = i

    def peek(self, ahead: int = 0) -> Token | None:
        at = self.i + ahead
        return self.tokens[at] if 0 <= at < len(self.tokens) else None

    def text(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        return token.text if token else ""

    def kind(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        return token.kind if token else ""

    def glued(self, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return bool(token and token.glued)

    def accept(self, *words: str) -> str | None:
        """Consume the next token if its text is one of `words`."""
        text = self.text()
        if text and text in words:
            self.i += 1
            return text
        return None

    def accept_in(self, table) -> str | None:
        """Consume the next token if its text is a key of `table` (a dict or set)."""
        text = self.text()
        if text and text in table:
            self.i += 1
            return text
        return None

    def accept_seq(self, *words: str) -> bool:
        """Consume the words in order, or nothing."""
        if all(self.text(k) == word for k, word in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def accept_glued(self, *words: str) -> str | None:
        return self.accept(*words) if self.glued() else None

    def digits(self, min_len: int = 1, max_len: int = 9) -> Token | None:
        token = self.peek()
        if token and token.kind == "num" and min_len <= len(token.text) <= max_len:
            self.i += 1
            return token
        return None

    def word_number(self, upto: int = 99) -> int | None:
        """ "seven", "twenty one", "twenty-one", up to `upto`."""
        start = self.i
        text = self.text()
        if text in UNITS_WORDS and text not in ("zero",):
            value = UNITS_WORDS[text]
            self.i += 1
        elif text in TENS_WORDS:
            value = TENS_WORDS[text]
            self.i += 1
            mark = self.i
            self.accept("-")
            unit = UNITS_WORDS.get(self.text(), 0)
            if 1 <= unit <= 9:
                value += unit
                self.i += 1
            else:
                self.i = mark
        else:
            return None
        if value > upto:
            self.i = start
            return None
        return value

    def number(self, upto: int = 10**9) -> int | None:
        """Digits or words."""
        token = self.peek()
        if token and token.kind == "num":
            if token.value <= upto:
                self.i += 1
                return token.value
            return None
        return self.word_number(upto)

    def ordinal(self) -> int | None:
        """ "15th", "1st", "first", "twenty-first", "thirty first"; None (consuming nothing) otherwise."""
        token = self.peek()
        if token is None:
            return None
        if token.kind == "num" and self.text(1) in ORDINAL_SUFFIXES and self.glued(1) and len(token.text) <= 2:
            self.i += 2
            return token.value
        if token.text in ORDINAL_WORDS:
            self.i += 1
            return ORDINAL_WORDS[token.text]
        if token.text in ("twenty", "thirty"):
            start = self.i
            self.i += 1
            self.accept("-")
            unit = ORDINAL_WORDS.get(self.text())
            if unit is not None and unit <= 9:
                self.i += 1
                return TENS_WORDS[token.text] + unit
            self.i = start
        return None
