"""`/api/v1/users/{id}/export` and `/api/v1/users/{id}/erase`: what is held about a person, and erasing it.

What each holds and does is said in `core.booking.privacy` (and the README's Privacy section).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from core.booking import access
from core.booking.privacy import Privacy
from core.booking.privacy_redis import RedisTraces
from webhooks.api.users import UserId
from webhooks.deps import ContainerDep, PrincipalDep

router = APIRouter(prefix="/users", tags=["users"])


def privacy_of(container) -> Privacy:
    """The privacy service over a container's booking core and Redis (the CLI builds it the same way)."""
    traces = RedisTraces(container.redis) if container.redis is not None else None
    return Privacy(container.booking, traces)


@router.get("/{user_id}/export", response_model=dict[str, Any])
def export_user(user_id: UserId, container: ContainerDep, who: PrincipalDep) -> dict:
    """Everything held about the user, as JSON: profile, chat identities, appointments, notifications meant
    for them, waiting-list entries and offers, series, calendar feeds, audit entries about them, and the
    conversation state and web chat inbox kept in Redis. Admins only (403); 404 for an unknown user."""
    access.require_admin(who, "export a person's data")
    return privacy_of(container).export(user_id, actor=who.actor)


@router.post("/{user_id}/erase", response_model=dict[str, Any])
def erase_user(user_id: UserId, container: ContainerDep, who: PrincipalDep) -> dict:
    """Erase the user's personal data; their appointments stay, anonymised, so the figures stay right.
    Returns what was removed (all zeros when erased before). 409 `erasure_refused` for a provider with
    appointments still to come; admins only (403); 404 for an unknown user."""
    access.require_admin(who, "erase a person's data")
    return privacy_of(container).erase(user_id, actor=who.actor).to_dict()
