"""FastAPI dependencies: the container, the booking core, the business's set-up, and who a request acts as.

Every `/api/v1` route needs a bearer token: the admin token (`SLOTLINE_ADMIN_TOKEN`) or a user's API
token (`core.booking.tokens`). `PrincipalDep` is who the request acts as; what it may do is
`core.booking.access`'s, checked by each route."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.booking import access
from core.booking.access import ENV_ADMIN, Principal
from core.booking.owners import Owners
from core.booking.service import BookingService
from core.booking.setup import BusinessSetup
from core.booking.tokens import ApiTokens, TokenRefused
from slotline.bootstrap import Container

_bearer = HTTPBearer(auto_error=False, description=(
    "`Authorization: Bearer <token>`: `$SLOTLINE_ADMIN_TOKEN`, or a user's API token (`slt_...`)"))


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


def get_tokens(container: ContainerDep) -> ApiTokens:
    return ApiTokens(container.session_factory, clock=container.clock)


TokensDep = Annotated[ApiTokens, Depends(get_tokens)]


def get_owners(container: ContainerDep) -> Owners:
    return Owners(container.session_factory)


OwnersDep = Annotated[Owners, Depends(get_owners)]


def get_principal(request: Request, tokens: TokensDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """Who the request acts as; 401 for no token, an unknown one, or a user's token revoked or expired."""
    if credentials is None:
        raise _unauthorized("missing bearer token: send `Authorization: Bearer <SLOTLINE_ADMIN_TOKEN>` "
                            "or a user's API token")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header may hold any latin-1 text.
    given = credentials.credentials
    if secrets.compare_digest(given.encode("utf-8", "surrogateescape"), admin_token(request).encode("utf-8")):
        return ENV_ADMIN
    try:
        return tokens.verify(given)
    except TokenRefused as refused:
        raise _unauthorized(str(refused)) from None


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def require_admin(who: PrincipalDep) -> None:
    """A route dependency: 403 for anyone but an admin (the admin token, or an admin user's token)."""
    access.require_admin(who, "do this")
