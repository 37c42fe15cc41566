"""The one place domain errors and bad requests become HTTP answers.

Every refusal is `{"detail": <a sentence for a person>, "code": <a stable machine code>}`;
request validation adds pydantic's list under `errors`, each with only `loc`, `msg` and `type`.
Neither ever repeats the value that was sent: a 422 names the field and the reason, and its
size does not grow with the input (a 100 MB field once came back as a 100 MB error).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from core.booking import errors

log = logging.getLogger(__name__)

# Most specific first: the first class the error is an instance of decides.
STATUS_BY_ERROR: tuple[tuple[type[errors.BookingError], int], ...] = (
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.Forbidden, status.HTTP_403_FORBIDDEN),
    (errors.InvalidRequest, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (errors.SlotUnavailable, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (errors.SlotTaken, status.HTTP_409_CONFLICT),
    (errors.NotActive, status.HTTP_409_CONFLICT),
    (errors.VersionConflict, status.HTTP_409_CONFLICT),
    (errors.AlreadyExists, status.HTTP_409_CONFLICT),
    (errors.AppointmentsInTheWay, status.HTTP_409_CONFLICT),
)
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def status_for(err: errors.BookingError) -> int:
    for kind, code in STATUS_BY_ERROR:
        if isinstance(err, kind):
            return code
    return status.HTTP_409_CONFLICT  # any other refusal of the core: the request conflicts with the state


class ErrorResponse(JSONResponse):
    """JSON with non-ASCII escaped: echoed input may hold text (a lone surrogate) UTF-8 cannot encode."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


MAX_LOC_PART = 40  # a key of the input can be a location (an unknown field): never repeat a long one


def _field(loc: tuple) -> str:
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    return ".".join(str(p) for p in _short_loc(loc)) or "body"


def _short_loc(loc) -> list:
    return [p if not isinstance(p, str) or len(p) <= MAX_LOC_PART else p[:MAX_LOC_PART] + "..." for p in loc]


def _message(err: dict) -> str:
    """pydantic's message without the input in it (our own validators may quote the value)."""
    message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    given = err.get("input")
    if isinstance(given, str) and given:
        message = message.replace(repr(given), "the value given")
        if len(given) >= 8:
            message = message.replace(given, "the value given")
    return message


def describe(errs: list[dict]) -> str:
    """`startTime: Input should be a valid datetime; ...`, one clause per problem."""
    clauses = []
    for err in errs:
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "malformed JSON")
            clauses.append(f"the request body is not valid JSON ({reason})")
        elif err.get("type") == "timezone_aware":
            clauses.append(f"{_field(err['loc'])}: needs a time zone offset, like 2025-03-10T09:00:00+00:00 "
                           "or 2025-03-10T09:00:00Z")
        else:
            clauses.append(f"{_field(err['loc'])}: {_message(err)}")
    return "; ".join(clauses) or "the request is invalid"


async def booking_error(_request: Request, exc: errors.BookingError) -> ErrorResponse:
    body = {"detail": str(exc) or exc.code, "code": exc.code}
    if isinstance(exc, errors.AppointmentsInTheWay):
        # What an admin needs to decide (cancel, move, or pick other times); no client's personal data.
        body["appointments"] = [{"id": a.id, "startTime": _instant(a.start_at), "endTime": _instant(a.end_at),
                                 "confirmationCode": a.confirmation_code} for a in exc.appointments]
    return ErrorResponse(body, status_code=status_for(exc))


def _instant(moment: datetime) -> str:
    """UTC ISO 8601 with `Z`, as the response models write times."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


async def validation_error(_request: Request, exc: RequestValidationError) -> ErrorResponse:
    errs = list(exc.errors())
    malformed = any(e.get("type") == "json_invalid" for e in errs)
    code, http_status = (("malformed_json", status.HTTP_400_BAD_REQUEST) if malformed
                         else ("validation_error", status.HTTP_422_UNPROCESSABLE_CONTENT))
    body = {"detail": describe(errs), "code": code, "errors": _plain(errs)}
    return ErrorResponse(body, status_code=http_status)


def _plain(errs: list[dict]) -> list:
    # No `input` and no `ctx`: both can repeat what was sent (ctx holds the JSON error's document too).
    return [{"loc": _short_loc(err.get("loc", ())), "msg": _message(err), "type": str(err.get("type", ""))}
            for err in errs]


CHAT_PATH = "/api/v1/chat"
NOTES_AWAY = "I can't reach my notes for a moment, please try again in a minute."
REDIS_RETRY_AFTER = "30"  # seconds: a Redis restart takes a few; a person retrying sooner is fine too


async def redis_unavailable(request: Request, exc: RedisError) -> ErrorResponse:
    """Redis away (conversations, holds, the chat inbox live there): a 503 to retry, never a bare 500.
    The web chat's answer also carries a reply in its usual shape, for the page to show."""
    log.warning("%s %s: Redis unavailable (%s)", request.method, request.url.path, exc)
    body = {"detail": "Slotline cannot reach its Redis for a moment; please try again in a minute.",
            "code": "redis_unavailable"}
    if request.url.path == CHAT_PATH:
        body["replies"] = [{"text": NOTES_AWAY, "choices": []}]
    return ErrorResponse(body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                         headers={"Retry-After": REDIS_RETRY_AFTER})


async def database_unavailable(request: Request, exc: OperationalError) -> ErrorResponse:
    """The database away (restarting, failing over): a 503 to retry, never a bare 500. The pool pings a
    connection idle a while before use, and replaces them all once one is found dropped
    (core/db/session.py), so the requests after it is back reconnect."""
    log.warning("%s %s: database unavailable (%s)", request.method, request.url.path, str(exc.orig)[:200])
    body = {"detail": "Slotline cannot reach its database for a moment; please try again in a minute.",
            "code": "database_unavailable"}
    return ErrorResponse(body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                         headers={"Retry-After": REDIS_RETRY_AFTER})


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.BookingError, booking_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(RedisError, redis_unavailable)
    app.add_exception_handler(OperationalError, database_unavailable)
