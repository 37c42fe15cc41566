"""Phone sharing: a Telegram chat says which phone number (and so which SMS client) it speaks for.

Candidates for `core/booking/catalog.py`: nothing here is Telegram-specific but the channel
name. Kept here meanwhile so the channel owns no more than its own files.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.booking import catalog
from core.db.models import ChannelIdentity, User
from core.db.session import UnitOfWork

SMS = "sms"


def phone_from_contact(raw: str) -> str:
    """E.164 form of the number a Telegram contact carries (often without its "+"); InvalidRequest if not one."""
    raw = raw.strip()
    return catalog.normalise_phone(raw if raw.startswith("+") else "+" + raw)


def has_phone(session_factory: sessionmaker[Session], *, channel: str, external_id: str) -> bool:
    """True when the person behind this channel identity has a phone number on file."""
    with UnitOfWork(session_factory) as uow:
        return uow.session.scalar(select(User.phone).join(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)) is not None


def link_phone(session_factory: sessionmaker[Session], *, channel: str, external_id: str, phone: str,
               display_name: str | None = None) -> int:
    """Link this channel identity and the SMS identity for `phone` (E.164) to one user; return the user id.

    The person who already owns the phone (as a user's phone, or an SMS identity) wins: the chat is
    re-pointed to them, so their bookings and reminders follow. Otherwise the chat's own user (made
    now if the chat is new) takes the phone. Bookings made by a chat's former user stay with it.
    """
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        owner = s.scalar(select(User).where(User.phone == phone)) or _user_of(s, SMS, phone)
        if owner is None:
            owner = _user_of(s, channel, external_id)
            if owner is None:
                owner = User(name=(display_name or "").strip()[:200], role="client", last_channel=channel)
                s.add(owner)
        owner.phone = phone  # no other user has it: the lookup above would have found them
        s.flush()
        catalog.link_identity(s, user_id=owner.id, channel=channel, external_id=external_id)
        catalog.link_identity(s, user_id=owner.id, channel=SMS, external_id=phone)
        uow.commit()
        return owner.id


def _user_of(s: Session, channel: str, external_id: str) -> User | None:
    return s.scalar(select(User).join(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                                             ChannelIdentity.external_id == external_id))
