"""`/api/v1/tokens`: users' API tokens, issued, listed and revoked by an admin.

A token acts as its user, with what the user's role allows (`core.booking.access`). It is shown
once, when issued; only its hash is kept, so a lost token is revoked and another issued.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from pydantic import Field

from core.booking import access
from webhooks.api.fields import MAX_ID, Id, Instant, text
from webhooks.api.schemas import ApiModel, RequestModel
from webhooks.deps import PrincipalDep, TokensDep


def admins_only(who: PrincipalDep) -> None:
    access.require_admin(who, "manage API tokens")


router = APIRouter(prefix="/tokens", tags=["tokens"], dependencies=[Depends(admins_only)])
TokenId = Annotated[int, Path(ge=1, le=MAX_ID)]


class TokenIn(RequestModel):
    user_id: Id
    name: text(100) | None = Field(default=None, description="what the token is for, to tell tokens apart")
    expires_at: Instant | None = Field(default=None, description="refused from then on; leave out for no expiry")


class TokenOut(ApiModel):
    id: int
    user_id: int
    name: str | None
    prefix: str = Field(description="the token's first characters, to recognise it")
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, record) -> TokenOut:
        return cls(id=record.id, user_id=record.user_id, name=record.name, prefix=record.prefix,
                   expires_at=record.expires_at, revoked_at=record.revoked_at, created_at=record.created_at)


class IssuedTokenOut(TokenOut):
    token: str = Field(description="the bearer token itself: shown this once, never again")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IssuedTokenOut,
             responses={404: {"description": "no such user"}})
def issue_token(body: TokenIn, tokens: TokensDep, who: PrincipalDep) -> IssuedTokenOut:
    """Issue a token for a user: send it as `Authorization: Bearer <token>`. It is shown only now."""
    issued = tokens.issue(body.user_id, name=body.name, expires_at=body.expires_at, actor=who.actor)
    return IssuedTokenOut(token=issued.token, **TokenOut.of(issued.record).model_dump())


@router.get("", response_model=list[TokenOut])
def list_tokens(tokens: TokensDep) -> list[TokenOut]:
    """Every token by id, revoked and expired ones too (never the token itself)."""
    return [TokenOut.of(record) for record in tokens.listed()]


@router.delete("/{token_id}", response_model=TokenOut)
def revoke_token(token_id: TokenId, tokens: TokensDep, who: PrincipalDep) -> TokenOut:
    """Revoke a token: it is refused (401) from now on. Revoking twice is not an error."""
    return TokenOut.of(tokens.revoke(token_id, actor=who.actor))
