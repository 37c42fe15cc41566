"""`/api/v1/users`: the people who book (clients), give (providers) and run (admins) appointments."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from webhooks.api.fields import MAX_ID
from webhooks.api.schemas import UserIn, UserOut, UserUpdate
from webhooks.deps import SetupDep

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def create_user(body: UserIn, setup: SetupDep) -> UserOut:
    return UserOut.of(setup.create_user(name=body.name, email=body.email, phone=body.phone, role=body.role,
                                        timezone=body.timezone, preferred_channel=body.preferred_channel))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(user_id: UserId, body: UserUpdate, setup: SetupDep) -> UserOut:
    """Change a user's name, email, phone, time zone or `preferredChannel`; fields not sent stay as they are."""
    return UserOut.of(setup.update_user(user_id, body.changes()))


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: UserId, setup: SetupDep) -> UserOut:
    return UserOut.of(setup.user(user_id))
