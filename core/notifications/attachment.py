"""A file sent with a message: the senders take it (`FileSender`), the calendar and the notices make it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message, such as the .ics of an appointment."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
