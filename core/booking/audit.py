"""The audit log: who changed what. Writing an entry (in the change's own transaction) and reading
them for `GET /api/v1/audit`, newest first.

Appointments' entries are written on the hot path by `core.booking.appointments.write_audit`; every
other change (the business's set-up, hours and time off, policies, users, the waiting list, calendar
feeds, tokens, erasures) by `record`, in the same transaction as the change. `actor` is as
`core.booking.access` describes it: `admin`, `<role>:<user id>` for a user's API token, or a
channel's actor (`client`, `provider`, `staff`, `cli`, ...). `details` says what changed (field
names and new values), never a secret nor a person's contact details.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
from core.db.models import AuditEntry
from core.db.session import UnitOfWork

MAX_PAGE = 1000


def record(s: Session, actor: str, action: str, entity: str, entity_id: int | None, *,
           at: datetime | None = None, **details) -> AuditEntry:
    """Add the audit entry of a change to the session (the caller's transaction commits it with the change)."""
    entry = AuditEntry(at=at or utcnow(), actor=actor, action=action, entity=entity, entity_id=entity_id,
                       details=details)
    s.add(entry)
    return entry


def entries(session_factory: sessionmaker[Session], *, start: datetime | None = None, end: datetime | None = None,
            actors: Iterable[str] | None = None, before: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """Entries at or after `start` and before `end`, of any of `actors`, with ids below `before` (the
    next page), newest first, at most `limit` (bounded by `MAX_PAGE`)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    if actors is not None:
        query = query.where(AuditEntry.actor.in_(list(actors)))
    if before is not None:
        query = query.where(AuditEntry.id < before)
    with UnitOfWork(session_factory) as uow:
        return list(uow.session.scalars(query))
