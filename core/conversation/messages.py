"""The one neutral message pair that crosses between `bots/` and `core/`."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Choice:
    """An option the client can pick: a button where the channel has them, a numbered line where not."""

    label: str
    value: str


@dataclass(frozen=True)
class Inbound:
    """One message from a client, whatever the channel.

    `sender` is the channel's own id for the person (Telegram chat id, Slack user id, E.164
    phone, web chat session); `message_id` is the platform's id, used to answer a retried
    delivery once only; `choice` is the value of a picked option, `text` what they typed.
    `origin` is set by edges whose senders anyone can make up (the web chat's session ids).
    """

    channel: str
    sender: str
    text: str | None = None
    choice: str | None = None
    message_id: str | None = None
    display_name: str | None = None
    phone: str | None = None
    origin: str | None = None  # where an unverified sender came from (a web visitor's IP), for per-origin limits
    letters: bool = False  # the channel answers reminders with one letter (SMS: "X" cancels), set by its adapter


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {"text": self.text, "choices": [{"label": c.label, "value": c.value} for c in self.choices]}
