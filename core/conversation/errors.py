"""The conversation's own refusals, caught at the edges (each channel says them its own way)."""
from __future__ import annotations


class ConversationBusy(Exception):
    """An earlier message from the same person is still being answered: ask them to send this one again.

    Its own type, not Python's `TimeoutError`, so that a socket timeout inside a turn is an
    error like any other and never read as "still working on your last message"."""

    def __init__(self, message: str = "this conversation is busy with an earlier message"):
        super().__init__(message)
