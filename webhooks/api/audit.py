"""`/api/v1/audit`: who changed what, newest first (an admin's to read).

`actor` is `admin` (the admin token), `<role>:<user id>` (a user's API token: `admin:3`, `provider:7`,
`client:12`), or the channel's actor of a change made in a chat (`client`, `provider`, `staff`, ...).
`userId` finds a user's changes whatever their role was when they made them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from core.booking import access, audit
from webhooks.api.fields import MAX_ID, Instant
from webhooks.api.schemas import ApiModel
from webhooks.deps import ContainerDep, PrincipalDep


def admins_only(who: PrincipalDep) -> None:
    access.require_admin(who, "read the audit log")


router = APIRouter(prefix="/audit", tags=["audit"], dependencies=[Depends(admins_only)])


class AuditEntryOut(ApiModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    details: dict[str, Any]

    @classmethod
    def of(cls, entry) -> AuditEntryOut:
        return cls(id=entry.id, at=entry.at, actor=entry.actor, action=entry.action, entity=entry.entity,
                   entity_id=entry.entity_id, details=entry.details or {})


@router.get("", response_model=list[AuditEntryOut])
def list_audit(
    container: ContainerDep,
    start: Annotated[Instant | None, Query(alias="from", description="entries at or after this")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="entries before this")] = None,
    user_id: Annotated[int | None, Query(alias="userId", ge=1, le=MAX_ID,
                                         description="changes made with this user's tokens")] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description=(
        "the next page: entries older than this id (the last id of the page before)"))] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
) -> list[AuditEntryOut]:
    """Audit entries, newest first, at most `limit` (default 100, at most 1000) a page."""
    actors = access.user_actors(user_id) if user_id is not None else None
    found = audit.entries(container.session_factory, start=start, end=end, actors=actors, before=before, limit=limit)
    return [AuditEntryOut.of(entry) for entry in found]
