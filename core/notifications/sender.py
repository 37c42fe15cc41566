"""The outbound port: one `Sender` per channel, chosen for each person by the `Outbox`.

A sender's only must-have is sending a `Reply` to one recipient; a channel without buttons
renders the choices as numbered lines (see `bots/`). Optional capabilities: `FileSender` (a
file with the message) and `NoticeSender` (a whole `Notice`: subject, invitation, links).

What sets one channel apart from another is said by its sender's attributes (`quiet_hours`,
`buttons`, `letters`, `agendas`, `calendar_files`, `invitations`), never by a channel's name tested in the core: a new channel
is a new sender, and the core stays as it is.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy.orm import Session, sessionmaker

from core.booking import clients
from core.conversation.messages import Reply
from core.db.session import UnitOfWork
from core.notifications import contacts
from core.notifications.attachment import Attachment  # a sender's own type too: imported from here as well

if TYPE_CHECKING:
    from core.notifications.links import Links
    from core.notifications.notice import Notice


class SendFailed(Exception):
    """The platform refused or failed. `permanent` (a blocked bot, an invalid number) means: do not retry.

    `opted_out`: this address will take nothing more (a blocked bot, STOP); it is recorded so, and
    the person is tried on their next channel."""

    def __init__(self, message: str, *, permanent: bool = False, opted_out: bool = False):
        super().__init__(message)
        self.permanent = permanent or opted_out
        self.opted_out = opted_out


class Sender(Protocol):
    """Sends to one channel. Adapters subclass it for the defaults below and set what differs."""

    channel: str
    quiet_hours: bool = False  # what can wait (reminders, follow-ups) waits for the business's quiet hours to end
    buttons: bool = True  # choices reach the person as something to tap; False: a notice leaves them out
    letters: bool = False  # a reminder is answered with one letter (C, X, R) rather than buttons
    agendas: bool = False  # providers work here: their day's agenda and notes about their clients come here
    calendar_files: bool = True  # a notice carries the appointment's .ics; False: it says no more than the chat did
    invitations: bool = False  # the .ics is a calendar invitation, which only a cancellation notice takes back

    def send(self, recipient: str, reply: Reply) -> str | None:
        """Send one reply to the channel's id for a person; return the platform's message id if it gives one."""


@runtime_checkable
class FileSender(Protocol):
    """A sender whose channel can take a file as well (Telegram, Slack); SMS cannot."""

    channel: str

    def send_file(self, recipient: str, reply: Reply, attachment: Attachment) -> str | None:
        """Send the reply with the file attached (or right after it); return the platform's message id."""


@runtime_checkable
class NoticeSender(Protocol):
    """A sender that renders a whole `Notice` (email: subject, text and HTML, invitation, links)."""

    channel: str

    def send_notice(self, recipient: str, notice: Notice) -> str | None:
        """Send the notice; return the platform's message id. Raises `SendFailed`."""


class NoChannel(Exception):
    """No channel reaches the person: nothing on file or used that is switched on here and not opted out."""


class Outbox:
    """Sends to a person over their own channel: see `contacts` for who hears on what."""

    def __init__(self, session_factory: sessionmaker[Session], senders: dict[str, Sender], *,
                 links: Links | None = None):
        self.session_factory = session_factory
        self.senders = senders
        self.links = links  # signed manage and unsubscribe links, when Slotline has a public URL

    def route(self, user_id: int) -> tuple[Sender, str]:
        """The sender and recipient that reach this person now. Raises NoChannel saying why none does."""
        with UnitOfWork(self.session_factory) as uow:
            reach = contacts.reach(uow.session, user_id)
        if reach is None:
            raise NoChannel(f"no channel reaches this person: user {user_id} not found")
        why = []
        for channel in reach.order():
            addresses = reach.at(channel)
            open_ = [a for a in addresses if not a.opted_out]
            if not addresses:
                why += [f"prefers {channel} but has none on file"] if channel == reach.preferred else []
            elif channel not in self.senders:
                why.append(f"{channel} is not switched on here")
            elif not open_:
                why.append(f"opted out of {channel}")
            else:
                return self.senders[channel], open_[0].recipient
        raise NoChannel("no channel reaches this person: " + ("; ".join(why) or "no chat, phone or email on file"))

    def route_provider(self, provider_id: int) -> tuple[Sender, str]:
        """The sender and recipient that reach a provider where providers work (a sender with `agendas`:
        Slack). Raises NoChannel saying why none does."""
        with UnitOfWork(self.session_factory) as uow:
            addresses = contacts.provider_reach(uow.session, provider_id)
        if addresses is None:
            raise NoChannel(f"no channel reaches this provider: provider {provider_id} not found")
        for address in addresses:
            sender = self.senders.get(address.channel)
            if sender is not None and sender.agendas and not address.opted_out:
                return sender, address.recipient
        where = [c for c, s in self.senders.items() if s.agendas] or ["none switched on here"]
        raise NoChannel(f"no channel reaches this provider where providers work ({', '.join(where)})")

    def opt_out(self, channel: str, recipient: str) -> None:
        """This address takes no more messages (a blocked bot): the next route goes past it."""
        clients.opt_out(self.session_factory, channel, recipient)

    def send_to_user(self, user_id: int, reply: Reply) -> tuple[str, str | None]:
        """Send; returns (channel, platform message id). Raises NoChannel or SendFailed."""
        sender, recipient = self.route(user_id)
        return sender.channel, sender.send(recipient, reply)
