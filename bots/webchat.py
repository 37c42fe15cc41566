"""The web chat channel: JSON in, JSON out. No buttons are lost: choices travel as data."""
from __future__ import annotations

from core.conversation.messages import Inbound, Reply

CHANNEL = "web"


def to_inbound(*, session: str, text: str | None, choice: str | None, message_id: str | None) -> Inbound:
    return Inbound(channel=CHANNEL, sender=session, text=text, choice=choice,
                   message_id=f"{session}:{message_id}" if message_id else None)


def render(replies: list[Reply]) -> dict:
    return {"replies": [reply.to_dict() for reply in replies]}
