"""The email channel, over SMTP: outbound only (nobody chats by email), of the same shape as the others.

- `EmailSender` (`sender`) is the `Sender` port for the channel "email": confirmations, moves,
  cancellations and reminders as text and HTML in the business's name (`compose`), with a
  calendar invitation (METHOD:REQUEST, one UID per appointment, SEQUENCE = its version; a
  cancellation is METHOD:CANCEL) and buttons that open the appointment's manage page.
- `smtp` hands a message to `SLOTLINE_SMTP_URL` (`smtp://user:pass@host:port`, STARTTLS when
  offered; `smtps://` for TLS from the start) with the standard library's smtplib.

Who gets email: a person whose address is on file, when email is their preferred channel or no
chat or phone reaches them (see `core.notifications.contacts`). Every email carries a one-click
`List-Unsubscribe`; the unsubscribe (webhooks/unsubscribe.py) marks that address opted out.
"""
from __future__ import annotations

from bots.email.sender import CHANNEL, EmailSender
from bots.email.smtp import Smtp, SmtpServer

__all__ = ["CHANNEL", "EmailSender", "Smtp", "SmtpServer"]
