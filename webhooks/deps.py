"""FastAPI dependencies: the container, the booking core, a read session and the admin check."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.booking import errors
from core.booking.service import BookingService
from core.db.session import UnitOfWork
from slotline.bootstrap import Container

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer $SLOTLINE_ADMIN_TOKEN`")


def get_container(request: Request) -> Container:
    return request.app.state.container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_booking(container: ContainerDep) -> BookingService:
    return container.booking


BookingDep = Annotated[BookingService, Depends(get_booking)]


def read_session(container: ContainerDep) -> Iterator[Session]:
    """A read-only unit of work for listing and showing catalogue rows."""
    with UnitOfWork(container.session_factory) as uow:
        yield uow.session


ReadSession = Annotated[Session, Depends(read_session)]


@contextmanager
def catalog_write(container: Container) -> Iterator[Session]:
    """One write transaction for setting up the business, committed when the block ends cleanly.

    The catalogue functions check uniqueness before inserting, but a unique column they do
    not check (a provider's Slack id) or a concurrent insert still trips the database: that
    is a conflict the caller can fix, so it becomes AlreadyExists (409), not a 500.
    """
    with UnitOfWork(container.session_factory, write=True) as uow:
        try:
            yield uow.session
            uow.commit()
        except IntegrityError as exc:
            raise errors.AlreadyExists("that clashes with an existing record: a name, email, phone or "
                                       "Slack user id that must be unique is already in use") from exc


def admin_token(request: Request) -> str:
    """The admin token, resolved once per app (in development it may be generated into the data dir)."""
    state = request.app.state
    if getattr(state, "admin_token", None) is None:
        state.admin_token = state.container.settings.resolved_admin_token()
    return state.admin_token


def require_admin(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """Refuse with 401 unless the request carries `Authorization: Bearer <admin token>`."""
    if credentials is None:
        raise _unauthorized("missing bearer token: send `Authorization: Bearer <SLOTLINE_ADMIN_TOKEN>`")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header may hold any latin-1 text.
    given = credentials.credentials.encode("utf-8", "surrogateescape")
    if not secrets.compare_digest(given, admin_token(request).encode("utf-8")):
        raise _unauthorized("invalid bearer token")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})
