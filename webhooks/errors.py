"""The one place domain errors and bad requests become HTTP answers.

Every refusal is `{"detail": <a sentence for a person>, "code": <a stable machine code>}`;
request validation adds the raw pydantic list under `errors`.
"""
from __future__ import annotations

import json

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.booking import errors

# Most specific first: the first class the error is an instance of decides.
STATUS_BY_ERROR: tuple[tuple[type[errors.BookingError], int], ...] = (
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.InvalidRequest, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (errors.SlotUnavailable, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (errors.SlotTaken, status.HTTP_409_CONFLICT),
    (errors.NotActive, status.HTTP_409_CONFLICT),
    (errors.VersionConflict, status.HTTP_409_CONFLICT),
    (errors.AlreadyExists, status.HTTP_409_CONFLICT),
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


def _field(loc: tuple) -> str:
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    return ".".join(str(p) for p in loc) or "body"


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
            message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
            clauses.append(f"{_field(err['loc'])}: {message}")
    return "; ".join(clauses) or "the request is invalid"


async def booking_error(_request: Request, exc: errors.BookingError) -> ErrorResponse:
    return ErrorResponse({"detail": str(exc) or exc.code, "code": exc.code}, status_code=status_for(exc))


async def validation_error(_request: Request, exc: RequestValidationError) -> ErrorResponse:
    errs = list(exc.errors())
    malformed = any(e.get("type") == "json_invalid" for e in errs)
    code, http_status = (("malformed_json", status.HTTP_400_BAD_REQUEST) if malformed
                         else ("validation_error", status.HTTP_422_UNPROCESSABLE_CONTENT))
    body = {"detail": describe(errs), "code": code, "errors": _plain(errs)}
    return ErrorResponse(body, status_code=http_status)


def _plain(errs: list[dict]) -> list:
    # The raw input may be bytes or hold values JSON cannot carry; show it only when it can.
    cleaned = []
    for err in errs:
        err = {k: v for k, v in err.items() if k != "url"}
        try:
            cleaned.append(jsonable_encoder(err))
        except (TypeError, ValueError, UnicodeDecodeError):
            cleaned.append({k: str(v) for k, v in err.items() if k != "input"})
    return cleaned


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.BookingError, booking_error)
    app.add_exception_handler(RequestValidationError, validation_error)
