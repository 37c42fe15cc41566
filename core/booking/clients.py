"""Client identity: who is behind a chat, a phone or an address, and what they agreed to hear.

The one place a channel identity (a Telegram chat, a Slack user, an SMS number, a web session)
is matched to a client, a client is made, a phone is linked, and an address opts out or back in.
One phone rule throughout: E.164 (`setup_writes.normalise_phone`), and a number belongs to the client
whose phone it is, else to the client its SMS identity speaks for.

A web visitor becomes a client when they book or join the waiting list (`enroll`); rows made
some other way for someone who then did nothing (an older release made one per chat session)
are purged once idle (`purge_passers_by`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking import errors, setup_writes
from core.db.models import Appointment, ChannelIdentity, Notification, Provider, User, WaitlistEntry
from core.db.session import UnitOfWork

CHANNELS = ("telegram", "slack", "sms", "email", "web")
SMS, EMAIL = "sms", "email"  # the two channels a contact detail on file opens
PASSER_BY_IDLE = timedelta(days=1)
PURGE_BATCH = 1000


@dataclass(frozen=True)
class KnownClient:
    """A client as the edges need them: who, what they are called, their own zone, where they last talked."""

    id: int
    name: str | None  # None: no name given yet
    timezone: str | None  # None: the business's zone
    last_channel: str | None


# -- who is behind a channel identity ----------------------------------------------------------
def find(session_factory: sessionmaker[Session], channel: str, external_id: str, *,
         phone: str | None = None) -> KnownClient | None:
    """The client behind a channel identity; None for a stranger.

    Nobody becomes a client just by talking. But a new identity that comes with a phone number
    already on file (added over the API, shared from Telegram) is that client: it is linked to
    them now, so their bookings and reminders follow."""
    with UnitOfWork(session_factory) as uow:
        user = _by_identity(uow.session, channel, external_id)
        if user is not None:
            return _known(user)
        on_file = phone is not None and _holder(uow.session, phone=phone) is not None
    return enroll(session_factory, channel, external_id, phone=phone) if on_file else None


def enroll(session_factory: sessionmaker[Session], channel: str, external_id: str, *,
           display_name: str | None = None, phone: str | None = None) -> KnownClient:
    """The client behind a channel identity, made now if there is none (find-or-create).

    A new identity whose phone number already belongs to someone is linked to that person
    rather than making a second one."""
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        user = _by_identity(s, channel, external_id)  # another process may have just made it
        if user is None:
            user = (_holder(s, phone=phone) if phone else None) or _new(s, display_name, phone=_e164(phone))
            user.last_channel = channel
            setup_writes.link_identity(s, user_id=user.id, channel=channel, external_id=external_id)
            uow.commit()
        return _known(user)


def booked_for(session_factory: sessionmaker[Session], booker_id: int, name: str) -> KnownClient:
    """The person `booker_id` books for under `name` ("for me and my son"), made now if they have not before.

    A client of their own (their own appointments, their own name) with no chat, phone or email:
    what is sent to them goes to the booker (`core.notifications.contacts.reach`)."""
    name = name.strip()[:200]
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        user = s.scalar(select(User).where(User.booker_id == booker_id, func.lower(User.name) == name.lower())
                        .order_by(User.id).limit(1))
        if user is None:
            booker = s.get(User, booker_id)
            user = User(name=name, role="client", booker_id=booker_id, timezone=booker.timezone if booker else None)
            s.add(user)
            s.flush()
            uow.commit()
        return _known(user)


def booked_by(session_factory: sessionmaker[Session], booker_id: int) -> dict[int, str]:
    """The people `booker_id` has booked for: id -> name."""
    with UnitOfWork(session_factory) as uow:
        return dict(uow.session.execute(select(User.id, User.name).where(User.booker_id == booker_id)).all())


def enroll_verified(session_factory: sessionmaker[Session], channel: str, external_id: str, *,
                    display_name: str | None = None, phone: str | None = None,
                    email: str | None = None) -> KnownClient:
    """Tie a channel identity to whoever holds the phone or email just proven, made now if nobody does."""
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        user = _holder(s, phone=phone, email=email) or _new(s, display_name, phone=_e164(phone),
                                                            email=_email(email))
        user.last_channel = channel
        setup_writes.link_identity(s, user_id=user.id, channel=channel, external_id=external_id)
        uow.commit()
        return _known(user)


def has_phone(session_factory: sessionmaker[Session], *, channel: str, external_id: str) -> bool:
    """True when the client behind this channel identity has a phone number on file."""
    with UnitOfWork(session_factory) as uow:
        user = _by_identity(uow.session, channel, external_id)
        return user is not None and user.phone is not None


def phone_from_contact(raw: str) -> str:
    """E.164 form of the number a shared contact card carries (often without its "+"); InvalidRequest if none."""
    raw = raw.strip()
    return setup_writes.normalise_phone(raw if raw.startswith("+") else "+" + raw)


def link_phone(session_factory: sessionmaker[Session], *, channel: str, external_id: str, phone: str,
               display_name: str | None = None) -> int:
    """Link this channel identity and the SMS identity for `phone` to one client; return the client's id.

    The person who already owns the phone (as a client's phone, or an SMS identity) wins: the chat
    is re-pointed to them, so their bookings and reminders follow. Otherwise the chat's own client
    (made now if the chat is new) takes the phone. Bookings made by a chat's former client stay with it.
    """
    phone = setup_writes.normalise_phone(phone)
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        owner = _holder(s, phone=phone) or _by_identity(s, channel, external_id)
        if owner is None:
            owner = _new(s, display_name)
            owner.last_channel = channel
        owner.phone = phone  # no other client has it: `_holder` would have found them
        s.flush()
        setup_writes.link_identity(s, user_id=owner.id, channel=channel, external_id=external_id)
        setup_writes.link_identity(s, user_id=owner.id, channel=SMS, external_id=phone)
        uow.commit()
        return owner.id


# -- the client's own details and choices -------------------------------------------------------
def update_details(s: Session, user: User, changes: dict) -> User:
    """Change a user's name, email, phone, zone or preferred channel (only the keys present in `changes`)."""
    if "email" in changes:
        email = _email(changes["email"])
        if email and s.scalar(select(User.id).where(User.email == email, User.id != user.id)):
            raise errors.AlreadyExists(f"a user with email {email} already exists")
        user.email = email
    if "phone" in changes:
        phone = setup_writes.normalise_phone(changes["phone"]) if changes["phone"] else None
        if phone and s.scalar(select(User.id).where(User.phone == phone, User.id != user.id)):
            raise errors.AlreadyExists(f"a user with phone {phone} already exists")
        user.phone = phone
    if "preferred_channel" in changes:
        user.preferred_channel = _channel(changes["preferred_channel"])
    if "timezone" in changes:
        user.timezone = setup_writes.check_zone(changes["timezone"]) if changes["timezone"] else None
    if changes.get("name"):
        user.name = changes["name"].strip()
    s.flush()
    return user


def prefer(session_factory: sessionmaker[Session], user_id: int, channel: str | None) -> None:
    """Make `channel` the one this person hears on first (None: no preference)."""
    channel = _channel(channel)
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


# -- opting out and back in, per channel and address ---------------------------------------------
def is_opted_out(session_factory: sessionmaker[Session], channel: str, address: str) -> bool:
    """True when this address (a chat id, an E.164 number, an email address) takes no messages."""
    with UnitOfWork(session_factory) as uow:
        return opted_out_in(uow.session, channel, address)


def opted_out_in(s: Session, channel: str, address: str) -> bool:
    """`is_opted_out` inside a transaction the caller holds."""
    return bool(s.scalar(select(ChannelIdentity.opted_out).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == _address(channel, address))))


def opt_out(session_factory: sessionmaker[Session], channel: str, address: str, *,
            remember_stranger: bool = False) -> bool | None:
    """This address takes no more messages (STOP, an email unsubscribe, a blocked bot); the flag before."""
    return set_opt_out(session_factory, channel, address, True, remember_stranger=remember_stranger)


def opt_in(session_factory: sessionmaker[Session], channel: str, address: str, *,
           remember_stranger: bool = False) -> bool | None:
    """This address takes messages again (START, asking to be told there); the flag before."""
    return set_opt_out(session_factory, channel, address, False, remember_stranger=remember_stranger)


def set_opt_out(session_factory: sessionmaker[Session], channel: str, address: str, opted_out: bool, *,
                remember_stranger: bool = False) -> bool | None:
    """Record that this address takes (or no longer takes) messages; returns the flag before.

    An address nobody has yet is None (nothing to record), unless `remember_stranger`: STOP from
    an unknown number must still be kept, so a client with that phone is made on the spot."""
    for attempt in range(2):
        try:
            return _set_opt_out(session_factory, channel, _address(channel, address), opted_out, remember_stranger)
        except IntegrityError:  # the same identity made at the same moment elsewhere: it exists now
            if attempt:
                raise
    raise AssertionError("unreachable")


def reachable_again(session_factory: sessionmaker[Session], channel: str, address: str) -> None:
    """They wrote to us from this chat, so it takes messages again (a bot they had blocked, then unblocked).
    Reads first: only a flagged identity costs a write. Not for SMS, where only START opts back in."""
    if is_opted_out(session_factory, channel, address):
        set_opt_out(session_factory, channel, address, False)


def _set_opt_out(session_factory: sessionmaker[Session], channel: str, address: str, opted_out: bool,
                 remember_stranger: bool) -> bool | None:
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        identity = s.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                                          ChannelIdentity.external_id == address))
        if identity is None:
            contact = {SMS: {"phone": address}, EMAIL: {"email": address}}.get(channel)
            owner = _holder(s, **contact) if contact else None
            if owner is None and remember_stranger and contact:
                owner = _new(s, "", **contact)
                owner.last_channel = channel
            if owner is None:
                return None
            identity = setup_writes.link_identity(s, user_id=owner.id, channel=channel, external_id=address)
        before, identity.opted_out = bool(identity.opted_out), opted_out
        uow.commit()
        return before


# -- passers-by --------------------------------------------------------------------------------
def purge_passers_by(s: Session, *, now: datetime, idle: timedelta = PASSER_BY_IDLE) -> int:
    """Delete clients with no name, no contact details, nothing booked, waited for or sent, and
    no opt-out to remember, made more than `idle` ago; returns how many went. One batch a call."""
    ids = list(s.scalars(select(User.id).where(
        User.role == "client",
        or_(User.name.is_(None), User.name == ""),
        User.email.is_(None), User.phone.is_(None),
        User.created_at < now - idle,
        ~exists().where(Appointment.client_id == User.id),
        ~exists().where(WaitlistEntry.client_id == User.id),
        ~exists().where(Notification.user_id == User.id),
        ~exists().where(Provider.user_id == User.id),
        ~exists().where(ChannelIdentity.user_id == User.id, ChannelIdentity.opted_out.is_(True)),
    ).order_by(User.id).limit(PURGE_BATCH)))
    if ids:
        # Identities first: SQLite enforces ON DELETE CASCADE only with foreign keys switched on.
        s.execute(delete(ChannelIdentity).where(ChannelIdentity.user_id.in_(ids)))
        s.execute(delete(User).where(User.id.in_(ids)))
    return len(ids)


def purge_idle(session_factory: sessionmaker[Session], *, now: datetime) -> int:
    """`purge_passers_by` in a transaction of its own (the worker's sweep calls it)."""
    with UnitOfWork(session_factory, write=True) as uow:
        gone = purge_passers_by(uow.session, now=now)
        uow.commit()
    return gone


# -- helpers -----------------------------------------------------------------------------------
def _by_identity(s: Session, channel: str, external_id: str) -> User | None:
    return s.scalar(select(User).join(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                                            ChannelIdentity.external_id == external_id))


def _holder(s: Session, *, phone: str | None = None, email: str | None = None) -> User | None:
    """Whoever holds this phone (as their number, else through its SMS identity) or this email address."""
    if phone:
        phone = _e164(phone)
        return s.scalar(select(User).where(User.phone == phone)) or _by_identity(s, SMS, phone)
    if email:
        return s.scalar(select(User).where(func.lower(User.email) == _email(email)))
    return None


def _new(s: Session, display_name: str | None, *, phone: str | None = None, email: str | None = None) -> User:
    user = User(name=(display_name or "").strip()[:200], role="client", phone=phone, email=email)
    s.add(user)
    s.flush()
    return user


def _known(user: User) -> KnownClient:
    return KnownClient(user.id, user.name or None, user.timezone, user.last_channel)


def _e164(phone: str | None) -> str | None:
    """E.164 when the number parses; as given otherwise, so a number Twilio knows is never lost over our
    phone library's opinion (what a person types is checked strictly where it is typed)."""
    if not phone:
        return None
    try:
        return setup_writes.normalise_phone(phone)
    except errors.InvalidRequest:
        return phone.strip()


def _email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def _address(channel: str, address: str) -> str:
    if channel == EMAIL:
        return _email(address) or address
    return (_e164(address) or address) if channel == SMS else address


def _channel(channel: str | None) -> str | None:
    if channel is not None and channel not in CHANNELS:
        raise errors.InvalidRequest(f"preferred channel must be one of {', '.join(CHANNELS)}")
    return channel
