"""FastAPI dependencies: the container, the booking core, the business's set-up, and who a request acts as.

Every `/api/v1` route needs a bearer token: the admin token (`SLOTLINE_ADMIN_TOKEN`) or a user's API
token (`core.booking.tokens`). `PrincipalDep` is who the request acts as; what it may do is
`core.booking.access`'s, checked by each route.

The dependencies here are `async def`: each only looks something up, and a plain `def` would cost
every request a trip through the threadpool apiece (FastAPI runs sync dependencies there). Only a
user's token needs the database, and only that goes to a thread."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool
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


async def get_container(request: Request) -> Container:
    return request.app.state.container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_booking(container: ContainerDep) -> BookingService:
    return container.booking


BookingDep = Annotated[BookingService, Depends(get_booking)]


async def get_setup(container: ContainerDep) -> BusinessSetup:
    """The business's set-up (users, services, providers, hours), over the container's database."""
    return BusinessSetup(container.session_factory, clock=container.clock)


SetupDep = Annotated[BusinessSetup, Depends(get_setup)]


def admin_token(request: Request) -> str:
    """The admin token, resolved once per app (in development it may be generated into the data dir)."""
    state = request.app.state
    if getattr(state, "admin_token", None) is None:
        state.admin_token = state.container.settings.resolved_admin_token()
    return state.admin_token


async def get_tokens(request: Request) -> ApiTokens:
    """The app's API tokens, made once per app (they hold nothing of a request's)."""
    state = request.app.state
    if getattr(state, "api_tokens", None) is None:
        state.api_tokens = ApiTokens(state.container.session_factory, clock=state.container.clock)
    return state.api_tokens


TokensDep = Annotated[ApiTokens, Depends(get_tokens)]


async def get_owners(container: ContainerDep) -> Owners:
    return Owners(container.session_factory)


OwnersDep = Annotated[Owners, Depends(get_owners)]


async def get_principal(request: Request, tokens: TokensDep,
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
        return await run_in_threadpool(tokens.verify, given)  # a database read: off the event loop
    except TokenRefused as refused:
        raise _unauthorized(str(refused)) from None


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def require_admin(who: PrincipalDep) -> None:
    """A route dependency: 403 for anyone but an admin (the admin token, or an admin user's token)."""
    access.require_admin(who, "do this")
