"""Per-user API tokens: issue one (shown once), list, revoke, and verify a bearer token.

A token is `slt_` followed by 32 random bytes (`secrets.token_urlsafe`): far too many to guess, so
a plain sha256 of it is enough to find it again and the table alone gives no token away. A token
is found by its hash alone (one indexed equality, never a comparison of the secret itself), so its
check takes the same time however much of a wrong token matches. What a token may do is its
user's role's (`core.booking.access`), read afresh on every request: a user made admin or no
longer linked to a provider changes what their standing tokens may do at once.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.booking import errors
from core.booking.access import Principal, principal_for
from core.db.models import ApiToken, AuditEntry, Provider, User
from core.db.session import UnitOfWork

PREFIX = "slt_"
SHOWN = 8  # characters of the token kept in clear to tell tokens apart: `slt_` and 4 more
MAX_LENGTH = 200  # longer than any token issued: refused before hashing


class TokenRefused(Exception):
    """A bearer token that does not let anyone in: unknown, revoked or expired; `str()` says which."""


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `token` is the only time the secret is seen."""

    token: str
    record: ApiToken


class ApiTokens:
    """Issues, lists, revokes and verifies users' API tokens over the business's database."""

    def __init__(self, session_factory: sessionmaker[Session], *, clock: Callable[[], datetime]):
        self.session_factory, self.clock = session_factory, clock

    def issue(self, user_id: int, *, name: str | None = None, expires_at: datetime | None = None,
              actor: str = "admin") -> IssuedToken:
        """A new token for the user; NotFound for no such user, InvalidRequest for an expiry not ahead."""
        now = self.clock()
        if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
            raise errors.InvalidRequest("expiresAt must be a time ahead, with a zone offset")
        token = PREFIX + secrets.token_urlsafe(32)
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            if s.get(User, user_id) is None:
                raise errors.NotFound(f"user {user_id} not found")
            record = ApiToken(user_id=user_id, name=name, token_hash=_hash(token), prefix=token[:SHOWN],
                              created_at=now, expires_at=expires_at)
            s.add(record)
            s.flush()
            s.add(_audit(now, actor, "issue_token", record, user_id=user_id, name=name))
            uow.commit()
            return IssuedToken(token, record)

    def listed(self, *, user_id: int | None = None, limit: int = 1000) -> list[ApiToken]:
        """Tokens by id (revoked and expired ones too), optionally one user's."""
        query = select(ApiToken).order_by(ApiToken.id).limit(limit)
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        with UnitOfWork(self.session_factory) as uow:
            return list(uow.session.scalars(query))

    def revoke(self, token_id: int, *, actor: str = "admin") -> ApiToken:
        """Revoke a token (revoking twice is not an error); NotFound for no such token."""
        now = self.clock()
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            record = s.get(ApiToken, token_id, with_for_update=True)
            if record is None:
                raise errors.NotFound(f"token {token_id} not found")
            if record.revoked_at is None:
                record.revoked_at = now
                s.add(_audit(now, actor, "revoke_token", record, user_id=record.user_id))
                uow.commit()
            return record

    def verify(self, token: str) -> Principal:
        """The principal the token acts as, or TokenRefused saying why not."""
        if not token.startswith(PREFIX) or len(token) > MAX_LENGTH:
            raise TokenRefused("invalid bearer token")
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            found = s.execute(select(ApiToken, User.role).join(User, User.id == ApiToken.user_id)
                              .where(ApiToken.token_hash == _hash(token))).first()
            if found is None:
                raise TokenRefused("invalid bearer token")
            record, role = found
            if record.revoked_at is not None:
                raise TokenRefused("this token was revoked; ask an admin for a new one")
            if record.expires_at is not None and record.expires_at <= self.clock():
                raise TokenRefused(f"this token expired at {record.expires_at.isoformat()}; ask an admin for a new one")
            providers = s.scalars(select(Provider.id).where(Provider.user_id == record.user_id)).all()
        return principal_for(record.user_id, role, providers, record.id)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _audit(at: datetime, actor: str, action: str, record: ApiToken, **details) -> AuditEntry:
    return AuditEntry(at=at, actor=actor, action=action, entity="api_token", entity_id=record.id, details=details)
