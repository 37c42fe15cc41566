"""The console's sign-in sessions: server-side in Redis, behind an opaque cookie, with a CSRF token each.

Signing in with a token (the admin token or a user's API token) stores, under a random session id,
only *which* token it was (`admin`, or the API token's id), a fingerprint of the admin token, and
the session's CSRF token; never the token itself. The cookie holds the random id (HttpOnly,
SameSite=Strict, Secure when the public URL is https, `__Host-` prefixed then); Redis keeps the
session under the id's sha256, so neither a cookie jar nor a Redis dump alone gives a way in.
Every request reads the principal afresh (a revoked or expired token, or a changed admin token,
ends the session at once). Every POST carries the session's CSRF token in the form, compared in
constant time, and a cross-origin `Origin` header is refused outright.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response

from core.booking import console
from core.booking.access import ENV_ADMIN, Principal
from core.booking.tokens import ApiTokens, TokenRefused
from webhooks.deps import admin_token

IDLE_SECONDS = 8 * 3600  # a session unused this long is gone
PREFIX = "slotline:admin:session:"
MAX_TOKEN = 200  # longer than any token: refused before any lookup


ENDED = {  # why a session stopped counting, as the sign-in page says it (`?why=`)
    "ended": "Your session has ended; please sign in again.",
    "changed": "The admin token has changed; please sign in again.",
    "revoked": "Your token was revoked or has expired; ask an admin for a new one.",
    "out": "You have signed out.",
}


class SignedOut(Exception):
    """No session, or one that no longer lets anyone in; `why` is a key of ENDED (or "" for none)."""

    def __init__(self, why: str = ""):
        super().__init__(why)
        self.why = why


class BadForm(Exception):
    """A POST without the session's CSRF token, or from another origin."""


@dataclass(frozen=True)
class Signed:
    """A signed-in session: who it acts as, and the CSRF token its forms carry."""

    who: Principal
    csrf: str


def cookie_name(request: Request) -> str:
    return "__Host-slotline_admin" if _https(request) else "slotline_admin"


def _https(request: Request) -> bool:
    public = request.app.state.container.settings.public_url or ""
    return public.startswith("https://")


def _key(session_id: str) -> str:
    return PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


def _fingerprint(token: str) -> str:
    return hashlib.sha256(b"slotline-admin:" + token.encode("utf-8", "surrogateescape")).hexdigest()


def verify_token(request: Request, given: str) -> Principal:
    """Who a token typed on the sign-in page acts as; TokenRefused (a message for the page) if nobody."""
    given = given.strip()
    if not given or len(given) > MAX_TOKEN:
        raise TokenRefused("That token is not valid.")
    if secrets.compare_digest(given.encode("utf-8", "surrogateescape"), admin_token(request).encode("utf-8")):
        return ENV_ADMIN
    container = request.app.state.container
    try:
        return ApiTokens(container.session_factory, clock=container.clock).verify(given)
    except TokenRefused as refused:
        message = str(refused)
        raise TokenRefused("That token is not valid." if message == "invalid bearer token"
                           else message[:1].upper() + message[1:] + ".") from None


def start(request: Request, response: Response, who: Principal) -> None:
    """A new session for `who`, its id set as the cookie."""
    session_id = secrets.token_urlsafe(32)
    data = {"token": "admin" if who.token_id is None else who.token_id, "csrf": secrets.token_urlsafe(32)}
    if who.token_id is None:
        data["admin"] = _fingerprint(admin_token(request))
    request.app.state.container.redis.set(_key(session_id), json.dumps(data), ex=IDLE_SECONDS)
    response.set_cookie(cookie_name(request), session_id, max_age=IDLE_SECONDS, path="/", secure=_https(request),
                        httponly=True, samesite="strict")


def end(request: Request, response: Response) -> None:
    session_id = request.cookies.get(cookie_name(request))
    if session_id and len(session_id) <= MAX_TOKEN:
        request.app.state.container.redis.delete(_key(session_id))
    response.delete_cookie(cookie_name(request), path="/", secure=_https(request), httponly=True, samesite="strict")


def current(request: Request) -> Signed:
    """The signed-in session, read afresh; SignedOut when there is none or it no longer counts."""
    session_id = request.cookies.get(cookie_name(request))
    if not session_id or len(session_id) > MAX_TOKEN:
        raise SignedOut()
    container = request.app.state.container
    key = _key(session_id)
    raw = container.redis.get(key)
    if raw is None:
        raise SignedOut("ended")
    data = json.loads(raw)
    if data["token"] == "admin":
        if not secrets.compare_digest(data.get("admin", ""), _fingerprint(admin_token(request))):
            raise SignedOut("changed")
        who = ENV_ADMIN
    else:
        who = console.principal_of_token(container.session_factory, int(data["token"]), container.clock)
        if who is None:
            container.redis.delete(key)
            raise SignedOut("revoked")
    container.redis.expire(key, IDLE_SECONDS)
    return Signed(who, data["csrf"])


def check_form(request: Request, signed: Signed | None, form: dict[str, str]) -> None:
    """Refuse a POST from another origin, or (signed in) without this session's CSRF token."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        allowed = {request.headers.get("host", "")}
        public = request.app.state.container.settings.public_url
        if public:
            allowed.add(urlsplit(public).netloc)
        if urlsplit(origin).netloc not in allowed:
            raise BadForm("This form came from another site.")
    if signed is not None and not secrets.compare_digest(form.get("csrf", "").encode(), signed.csrf.encode()):
        raise BadForm("This form has expired; go back, reload the page and try again.")
