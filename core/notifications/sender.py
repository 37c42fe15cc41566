"""The outbound port: one `Sender` per channel, chosen for each person by the `Outbox`.

A sender's only must-have is sending a `Reply` to one recipient; a channel without buttons
renders the choices as numbered lines (see `bots/`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.conversation.messages import Reply
from core.db.models import ChannelIdentity, User
from core.db.session import UnitOfWork


class SendFailed(Exception):
    """The platform refused or failed. `permanent` (a blocked bot, an invalid number) means: do not retry."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    channel: str

    def send(self, recipient: str, reply: Reply) -> str | None:
        """Send one reply to the channel's id for a person; return the platform's message id if it gives one."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message, such as the .ics of an appointment."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@runtime_checkable
class FileSender(Protocol):
    """A sender whose channel can take a file as well (Telegram, Slack); SMS cannot."""

    channel: str

    def send_file(self, recipient: str, reply: Reply, attachment: Attachment) -> str | None:
        """Send the reply with the file attached (or right after it); return the platform's message id."""


class NoChannel(Exception):
    """The person has no identity on any channel we can send on (or has opted out everywhere)."""


class Outbox:
    """Sends to a person over their own channel: the preferred one, else any they have used."""

    def __init__(self, session_factory: sessionmaker[Session], senders: dict[str, Sender]):
        self.session_factory = session_factory
        self.senders = senders

    def route(self, user_id: int) -> tuple[Sender, str]:
        with UnitOfWork(self.session_factory) as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                raise NoChannel(f"user {user_id} not found")
            identities = list(uow.session.scalars(select(ChannelIdentity).where(
                ChannelIdentity.user_id == user_id, ChannelIdentity.opted_out.is_(False))
                .order_by(ChannelIdentity.id.desc())))
        identities.sort(key=lambda i: i.channel != user.preferred_channel)  # stable: preferred first, newest next
        for identity in identities:
            if identity.channel in self.senders:
                return self.senders[identity.channel], identity.external_id
        raise NoChannel(f"user {user_id} has no channel Slotline can send on")

    def send_to_user(self, user_id: int, reply: Reply) -> tuple[str, str | None]:
        """Send; returns (channel, platform message id). Raises NoChannel or SendFailed."""
        sender, recipient = self.route(user_id)
        return sender.channel, sender.send(recipient, reply)
