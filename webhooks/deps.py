"""FastAPI dependencies: the container, the booking core, the business's set-up and the admin check."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.booking.service import BookingService
from core.booking.setup import BusinessSetup
from slotline.bootstrap import Container

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer $SLOTLINE_ADMIN_TOKEN`")


def get_container(request: Request) -> Container:
    return request.app.state.container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_booking(container: ContainerDep) -> BookingService:
    return container.booking


BookingDep = Annotated[BookingService, Depends(get_booking)]


def get_setup(container: ContainerDep) -> BusinessSetup:
    """The business's set-up (users, services, providers, hours), over the container's database."""
    return BusinessSetup(container.session_factory)


SetupDep = Annotated[BusinessSetup, Depends(get_setup)]


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
