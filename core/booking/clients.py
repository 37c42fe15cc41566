"""Clients as people the business knows: who is kept, and who was only passing by.

A web visitor becomes a user when they book or join the waiting list (see
`core.conversation.desk.Desk.enroll`); rows made some other way for someone who then did
nothing (an older release made one per chat session) are purged once idle.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import Appointment, ChannelIdentity, Notification, Provider, User, WaitlistEntry
from core.db.session import UnitOfWork

PASSER_BY_IDLE = timedelta(days=1)
PURGE_BATCH = 1000


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
