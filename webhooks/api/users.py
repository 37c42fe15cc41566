"""`/api/v1/users`: the people who book (clients), give (providers) and run (admins) appointments."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from core.booking import catalog, errors
from core.db.models import User
from core.notifications import contacts
from webhooks.api.fields import MAX_ID
from webhooks.api.schemas import UserIn, UserOut, UserUpdate
from webhooks.deps import ContainerDep, ReadSession, catalog_write

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def create_user(body: UserIn, container: ContainerDep) -> UserOut:
    with catalog_write(container) as session:
        user = catalog.create_user(session, name=body.name, email=body.email, phone=body.phone,
                                   role=body.role, timezone=body.timezone)
        user.preferred_channel = body.preferred_channel
        session.flush()
        return UserOut.of(user)


@router.patch("/{user_id}", response_model=UserOut)
def update_user(user_id: UserId, body: UserUpdate, container: ContainerDep) -> UserOut:
    """Change a user's name, email, phone, time zone or `preferredChannel`; fields not sent stay as they are."""
    with catalog_write(container) as session:
        user = session.get(User, user_id)
        if user is None:
            raise errors.NotFound(f"user {user_id} not found")
        contacts.update_details(session, user, body.changes())
        return UserOut.of(user)


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: UserId, session: ReadSession) -> UserOut:
    user = session.get(User, user_id)
    if user is None:
        raise errors.NotFound(f"user {user_id} not found")
    return UserOut.of(user)
