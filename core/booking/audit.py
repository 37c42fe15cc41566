"""Reading the audit log: who changed what, newest first, for `GET /api/v1/audit`.

Entries are written where the change is made (`core.booking.appointments.write_audit`, the token
store, ...); `actor` is `admin`, `user:<id>` for a user's API token, or a channel's actor.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import AuditEntry
from core.db.session import UnitOfWork

MAX_PAGE = 1000


def entries(session_factory: sessionmaker[Session], *, start: datetime | None = None, end: datetime | None = None,
            actor: str | None = None, before: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """Entries at or after `start` and before `end`, of `actor`, with ids below `before` (the next
    page), newest first, at most `limit` (bounded by `MAX_PAGE`)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    with UnitOfWork(session_factory) as uow:
        return list(uow.session.scalars(query))
