"""Where a person can be reached: the chats they have used, and the phone and email on file.

Contact details on file are channels of their own: a phone is reached by SMS and an email
address by email, though the person never wrote from either. Opt-outs are kept per channel and
per address, as the `opted_out` flag of the address's `ChannelIdentity` (made on the spot for a
phone or address that has none yet): STOP, an email unsubscribe, a bot the person blocked.

Who hears on what (`Reach.order`): the person's preferred channel, else the channel they last
talked on, else SMS, else email; then any other chat they have used, newest first.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking import catalog, errors
from core.db.models import ChannelIdentity, User
from core.db.session import UnitOfWork

CHANNELS = ("telegram", "slack", "sms", "email", "web")
SMS, EMAIL = "sms", "email"  # the two channels a contact detail on file opens


@dataclass(frozen=True)
class Address:
    """One way to reach a person: a channel and that channel's id for them (chat id, E.164, address)."""

    channel: str
    recipient: str
    opted_out: bool = False


@dataclass(frozen=True)
class Reach:
    user_id: int
    preferred: str | None
    last: str | None
    addresses: tuple[Address, ...]  # on file first, then identities newest first

    def order(self) -> list[str]:
        """The channels to try, best first."""
        first = [c for c in (self.preferred, self.last, SMS, EMAIL) if c]
        return list(dict.fromkeys(first + [a.channel for a in self.addresses]))

    def at(self, channel: str) -> list[Address]:
        return [a for a in self.addresses if a.channel == channel]


def reach(s: Session, user_id: int) -> Reach | None:
    """How `user_id` can be reached (opted-out addresses included, flagged); None when there is no such user."""
    user = s.get(User, user_id)
    if user is None:
        return None
    on_file = [(channel, value) for channel, value in ((SMS, user.phone), (EMAIL, user.email)) if value]
    mine = ChannelIdentity.user_id == user_id
    theirs = [and_(ChannelIdentity.channel == c, ChannelIdentity.external_id == v) for c, v in on_file]
    rows = list(s.scalars(select(ChannelIdentity).where(or_(mine, *theirs)).order_by(ChannelIdentity.id.desc())))
    flags = {(r.channel, r.external_id): bool(r.opted_out) for r in rows}
    addresses = [Address(c, v, flags.get((c, v), False)) for c, v in on_file]
    addresses += [Address(r.channel, r.external_id, bool(r.opted_out)) for r in rows
                  if (r.channel, r.external_id) not in on_file]
    return Reach(user.id, user.preferred_channel, user.last_channel, tuple(addresses))


def set_opt_out(session_factory: sessionmaker[Session], channel: str, recipient: str, opted_out: bool) -> bool | None:
    """Record that this address takes (or no longer takes) messages; returns the flag before, or None when
    nobody has that address (nothing to record)."""
    for attempt in range(2):
        try:
            return _set_opt_out(session_factory, channel, _normal(channel, recipient), opted_out)
        except IntegrityError:  # the same identity made at the same moment elsewhere: it exists now
            if attempt:
                raise
    raise AssertionError("unreachable")


def _set_opt_out(session_factory: sessionmaker[Session], channel: str, recipient: str, opted_out: bool) -> bool | None:
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        identity = s.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                                          ChannelIdentity.external_id == recipient))
        if identity is None:
            owner = _owner(s, channel, recipient)
            if owner is None:
                return None
            identity = catalog.link_identity(s, user_id=owner, channel=channel, external_id=recipient)
        before, identity.opted_out = bool(identity.opted_out), opted_out
        uow.commit()
        return before


def reachable_again(session_factory: sessionmaker[Session], channel: str, recipient: str) -> None:
    """They wrote to us from this chat, so it takes messages again (a bot they had blocked, then unblocked).
    Reads first: only a flagged identity costs a write. Not for SMS, where only START opts back in."""
    with UnitOfWork(session_factory) as uow:
        flagged = is_opted_out(uow.session, channel, recipient)
    if flagged:
        set_opt_out(session_factory, channel, recipient, False)


def is_opted_out(s: Session, channel: str, recipient: str) -> bool:
    return bool(s.scalar(select(ChannelIdentity.opted_out).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == _normal(channel, recipient))))


def prefer(session_factory: sessionmaker[Session], user_id: int, channel: str | None) -> None:
    """Make `channel` the one this person hears on first (None: no preference)."""
    if channel is not None and channel not in CHANNELS:
        raise errors.InvalidRequest(f"preferred channel must be one of {', '.join(CHANNELS)}")
    with UnitOfWork(session_factory, write=True) as uow:
        uow.session.get(User, user_id).preferred_channel = channel
        uow.commit()


def talked_on(session_factory: sessionmaker[Session], user_id: int, channel: str) -> None:
    """Remember the channel this person last wrote from (called only when it changed)."""
    with UnitOfWork(session_factory, write=True) as uow:
        user = uow.session.get(User, user_id)
        if user is not None and user.last_channel != channel:
            user.last_channel = channel
            uow.commit()


def update_details(s: Session, user: User, changes: dict) -> User:
    """Change a user's name, email, phone, zone or preferred channel (only the keys present in `changes`)."""
    if "email" in changes:
        email = changes["email"].strip().lower() if changes["email"] else None
        if email and s.scalar(select(User.id).where(User.email == email, User.id != user.id)):
            raise errors.AlreadyExists(f"a user with email {email} already exists")
        user.email = email
    if "phone" in changes:
        phone = catalog.normalise_phone(changes["phone"]) if changes["phone"] else None
        if phone and s.scalar(select(User.id).where(User.phone == phone, User.id != user.id)):
            raise errors.AlreadyExists(f"a user with phone {phone} already exists")
        user.phone = phone
    if "preferred_channel" in changes:
        if changes["preferred_channel"] not in (*CHANNELS, None):
            raise errors.InvalidRequest(f"preferred channel must be one of {', '.join(CHANNELS)}")
        user.preferred_channel = changes["preferred_channel"]
    if "timezone" in changes:
        user.timezone = catalog.check_zone(changes["timezone"]) if changes["timezone"] else None
    if changes.get("name"):
        user.name = changes["name"].strip()
    s.flush()
    return user


def _owner(s: Session, channel: str, recipient: str) -> int | None:
    column = {SMS: User.phone, EMAIL: User.email}.get(channel)
    return s.scalar(select(User.id).where(column == recipient)) if column is not None else None


def _normal(channel: str, recipient: str) -> str:
    return recipient.strip().lower() if channel == EMAIL else recipient
