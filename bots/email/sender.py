"""`EmailSender`: the outbound port for email, over SMTP (`bots.email.smtp`).

A `Notice` becomes a full email (subject, text and HTML, calendar invitation, buttons that
link to the manage page); any other `Reply` a short one from the business. Nothing is sent to
an address that unsubscribed: that is a `SendFailed(opted_out=True)`, so the person is tried
on their next channel.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy.orm import Session, sessionmaker

from bots.email.compose import Envelope, notice_email, reply_email
from bots.email.smtp import Smtp, SmtpServer
from config.settings import Settings
from core.booking import clients
from core.booking.schedules import business_name
from core.conversation.messages import Reply
from core.notifications.links import Links
from core.notifications.notice import Link, Notice
from core.notifications.sender import Sender, SendFailed

CHANNEL = clients.EMAIL
log = logging.getLogger(__name__)


class EmailSender(Sender):
    """Sends notices and replies as email from SLOTLINE_EMAIL_FROM, in the business's name; returns the Message-ID."""

    channel = CHANNEL
    invitations = True  # the .ics is an invitation in their calendar: a cancellation must withdraw it

    def __init__(self, *, smtp: Smtp, from_address: str, session_factory: sessionmaker[Session],
                 links: Links | None, clock: Callable[[], datetime]):
        self.smtp, self.from_address = smtp, from_address
        self.session_factory, self.links, self.clock = session_factory, links, clock

    @classmethod
    def from_settings(cls, settings: Settings, session_factory: sessionmaker[Session], *, links: Links | None,
                      clock: Callable[[], datetime]) -> EmailSender | None:
        """The sender the settings describe, or None when SLOTLINE_SMTP_URL or SLOTLINE_EMAIL_FROM is unset."""
        if not settings.smtp_url or not settings.email_from:
            if settings.smtp_url or settings.email_from:
                log.warning("email is off: it needs both SLOTLINE_SMTP_URL and SLOTLINE_EMAIL_FROM")
            return None
        address = parseaddr(settings.email_from)[1]
        if "@" not in address:
            raise ValueError(f"SLOTLINE_EMAIL_FROM {settings.email_from!r} is not an email address")
        if links is None or links.base_url is None:
            log.warning("emails go out without manage or unsubscribe links: SLOTLINE_PUBLIC_URL is not set")
        return cls(smtp=Smtp(SmtpServer.parse(settings.smtp_url)), from_address=address,
                   session_factory=session_factory, links=links, clock=clock)

    def send_notice(self, recipient: str, notice: Notice) -> str | None:
        envelope = self._envelope(recipient, notice.business, notice.client_name)
        return self._deliver(recipient, notice_email(notice, envelope, self.clock()))

    def send(self, recipient: str, reply: Reply) -> str | None:
        business = business_name(self.session_factory)
        chat = (Link("Reply in the chat", self.links.base_url + "/chat"),) \
            if reply.choices and self.links is not None and self.links.base_url else ()
        message = reply_email(reply.text, self._envelope(recipient, business), self.clock(), chat)
        return self._deliver(recipient, message)

    def _envelope(self, recipient: str, business: str, name: str = "") -> Envelope:
        unsubscribe = self.links.unsubscribe_url(recipient) if self.links is not None else None
        return Envelope(self.from_address, business, recipient, name, unsubscribe)

    def _deliver(self, recipient: str, message: EmailMessage) -> str:
        if clients.is_opted_out(self.session_factory, CHANNEL, recipient):
            raise SendFailed(f"{masked(recipient)} unsubscribed from email", opted_out=True)
        self.smtp.send(message)
        return message["Message-ID"][:128]


def masked(address: str) -> str:
    """An address fit for a log line: "a***@example.com"."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"
