"""A `Notice` (or a plain `Reply`) as an email: text and HTML alternatives, and the calendar invitation.

Shaped as Google Calendar's own invitations are, which every major client understands:

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST (or CANCEL)
      application/ics; name=invite.ics   (for clients that only show attachments)

Without an invitation it is the multipart/alternative alone. It comes from the business by
name (`From: "Business" <SLOTLINE_EMAIL_FROM's address>`), says it was sent automatically so
that no auto-responder answers it, and carries a one-click `List-Unsubscribe` (RFC 8058) when
Slotline has a public URL to put in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from html import escape

from core.notifications.calendar import invitation
from core.notifications.notice import Link, Notice

BUTTON = ("display:inline-block;margin:0 8px 8px 0;padding:10px 18px;border-radius:6px;background:#1d4ed8;"
          "color:#ffffff;text-decoration:none;font-weight:600")
BODY = "font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;color:#111827"


@dataclass(frozen=True)
class Envelope:
    """Who a message is from and to, and how to stop them."""

    from_address: str
    business: str
    to: str
    to_name: str = ""
    unsubscribe_url: str | None = None


def notice_email(notice: Notice, envelope: Envelope, now: datetime) -> EmailMessage:
    message = _headed(notice.subject, envelope, now)
    _bodies(message, notice.reply.text, notice.actions, envelope)
    if notice.calendar is not None:
        ics = invitation(notice.calendar, organizer=envelope.from_address, organizer_name=envelope.business,
                         attendee=envelope.to, attendee_name=envelope.to_name or envelope.to, now=now)
        method = "CANCEL" if notice.calendar.cancelled else "REQUEST"
        message.add_alternative(ics.decode(), subtype="calendar", params={"method": method})
        message.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return message


def reply_email(text: str, envelope: Envelope, now: datetime, actions: tuple[Link, ...] = ()) -> EmailMessage:
    """A message that is not about one appointment's notice (a provider running late, a waitlist offer)."""
    message = _headed(f"A message from {envelope.business}", envelope, now)
    _bodies(message, text, actions, envelope)
    return message


def _headed(subject: str, envelope: Envelope, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((envelope.business, envelope.from_address))
    message["To"] = formataddr((envelope.to_name, envelope.to)) if envelope.to_name else envelope.to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=envelope.from_address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    if envelope.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{envelope.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def _bodies(message: EmailMessage, text: str, actions: tuple[Link, ...], envelope: Envelope) -> None:
    lines = [text, ""] + [f"{link.label}: {link.url}" for link in actions]
    footer = f"{envelope.business}"
    if envelope.unsubscribe_url:
        footer += f"\nNo more emails like this: {envelope.unsubscribe_url}"
    message.set_content("\n".join(lines).rstrip() + "\n\n-- \n" + footer + "\n")
    message.add_alternative(_html(text, actions, envelope), subtype="html")


def _html(text: str, actions: tuple[Link, ...], envelope: Envelope) -> str:
    paragraphs = "".join(f"<p>{escape(part)}</p>" for part in text.split("\n") if part.strip())
    buttons = "".join(f'<a href="{escape(link.url)}" style="{BUTTON}">{escape(link.label)}</a>' for link in actions)
    unsubscribe = (f'<p style="font-size:12px;color:#6b7280"><a href="{escape(envelope.unsubscribe_url)}" '
                   f'style="color:#6b7280">No more emails like this</a></p>') if envelope.unsubscribe_url else ""
    return (f'<!doctype html><html><body style="{BODY}">'
            f'<p style="font-weight:700;font-size:18px">{escape(envelope.business)}</p>{paragraphs}'
            f'<p>{buttons}</p>{unsubscribe}</body></html>')
