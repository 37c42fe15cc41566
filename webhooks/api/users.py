"""`/api/v1/users`: the people who book (clients), give (providers) and run (admins) appointments."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from core.booking import access
from webhooks.api.fields import MAX_ID
from webhooks.api.schemas import UserIn, UserOut, UserUpdate
from webhooks.deps import OwnersDep, PrincipalDep, SetupDep

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def create_user(body: UserIn, setup: SetupDep, who: PrincipalDep) -> UserOut:
    access.require_admin(who, "create users")
    return UserOut.of(setup.create_user(name=body.name, email=body.email, phone=body.phone, role=body.role,
                                        timezone=body.timezone, preferred_channel=body.preferred_channel,
                                        actor=who.actor))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(user_id: UserId, body: UserUpdate, setup: SetupDep, who: PrincipalDep) -> UserOut:
    """Change a user's name, email, phone, time zone or `preferredChannel`; fields not sent stay as they are.
    A user's token changes only its own user."""
    access.require_self(who, user_id)
    return UserOut.of(setup.update_user(user_id, body.changes(), actor=who.actor))


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: UserId, setup: SetupDep, who: PrincipalDep, owners: OwnersDep) -> UserOut:
    """A user. A client's token reads only its own; a provider's token its own and, name only,
    its provider's clients'."""
    their_client = who.role == access.PROVIDER and owners.is_client_of(who.provider_ids, user_id)
    view = access.user_view(who, user_id, is_their_client=their_client)
    found = UserOut.of(setup.user(user_id))
    if view == access.NAME_ONLY:
        return found.model_copy(update=dict(email=None, phone=None, timezone=None, preferred_channel=None))
    return found
