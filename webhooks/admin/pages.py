"""Rendering the console's pages: Jinja2 templates, the security headers, error pages, forms.

Every console route uses `ConsoleRoute`, which turns what a page may run into into HTML rather
than the REST API's JSON: no session is a redirect to the sign-in page, a refusal of the core a
page with its message and status (404 for what is not found or not the principal's to see, 403
for what their role may not do), a bad form a 400 page. Nothing is a 500.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from core.booking import errors as booking_errors
from core.booking.access import ADMIN, PROVIDER
from core.conversation.render import zone_label
from webhooks.admin import session
from webhooks.errors import status_for

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def _hm(moment: datetime, zone: str | None = None) -> str:
    """The time as "10:00": on `zone`'s wall clock, or as given (a grid block's times are local already)."""
    return f"{(moment.astimezone(ZoneInfo(zone)) if zone else moment):%H:%M}"


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{_day(local)} {local:%H:%M}"


templates.env.filters.update(zone=zone_label, hm=_hm, day=_day, when=_when)
POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
          "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": POLICY, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
MAX_FORM = 16 * 1024  # bytes: the console's forms are a few short fields
SIGN_IN = "/admin/signin"


def render(request: Request, name: str, context: dict, *, status_code: int = 200) -> Response:
    signed = getattr(request.state, "signed", None)
    base = {"signed": signed, "is_admin": bool(signed and signed.who.is_admin), "csrf": signed.csrf if signed else "",
            "business": getattr(request.state, "business", "")}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code, headers=HEADERS)


def message_page(request: Request, title: str, message: str, status_code: int) -> Response:
    return render(request, "message.html", {"title": title, "message": message}, status_code=status_code)


def to_sign_in(why: str = "") -> Response:
    return RedirectResponse(SIGN_IN + (f"?why={why}" if why else ""), status.HTTP_303_SEE_OTHER, headers=HEADERS)


class ConsoleRoute(APIRoute):
    """A console route: its failures are HTML pages (see the module's docstring)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except session.SignedOut as out:
                return to_sign_in(out.why)
            except session.BadForm as bad:
                return message_page(request, "That did not work", str(bad), status.HTTP_400_BAD_REQUEST)
            except booking_errors.NotFound:
                return message_page(request, "Not found", "There is nothing here, or it is not yours to see.",
                                    status.HTTP_404_NOT_FOUND)
            except booking_errors.Forbidden as refused:
                return message_page(request, "Not allowed", sentence(str(refused)), status.HTTP_403_FORBIDDEN)
            except booking_errors.BookingError as refused:
                return message_page(request, "That did not work", sentence(str(refused)), status_for(refused))
            except RequestValidationError:
                return message_page(request, "That did not work", "Some of what was sent could not be read.",
                                    status.HTTP_400_BAD_REQUEST)

        return handle


def sentence(text) -> str:
    """A refusal's message as a sentence for the page: "That time is taken."."""
    text = str(text).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


# -- dependencies ---------------------------------------------------------------------------------
def signed_in(request: Request) -> session.Signed:
    """The session (SignedOut otherwise); a client's token is refused: the console is the business's."""
    container = request.app.state.container
    if container.redis is None:
        raise booking_errors.BookingError("the console keeps its sessions in Redis, which is not configured")
    signed = session.current(request)
    request.state.signed = signed
    request.state.business, request.state.zone = _business(request)
    if signed.who.role not in (ADMIN, PROVIDER):
        raise booking_errors.Forbidden("the console is for the business: a client's token cannot sign in here")
    return signed


def _business(request: Request) -> tuple[str, str]:
    from core.booking import console

    return console.business(request.app.state.container.session_factory)


SignedDep = Annotated[session.Signed, Depends(signed_in)]


async def form_of(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the first value of each), bounded; the CSRF check is the route's."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise session.BadForm("That form is too large.")
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    return {name: values[0] for name, values in fields.items()}


FormDep = Annotated[dict[str, str], Depends(form_of)]


def parse_day(text: str | None, default: date) -> date:
    """A `YYYY-MM-DD` from a query; the default when absent, InvalidRequest when unreadable."""
    if not text:
        return default
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise booking_errors.InvalidRequest(f"{text[:20]!r} is not a date (YYYY-MM-DD)") from None


def parse_id(text: str) -> int:
    """An id from a path; NotFound for anything that is not one (a page, not a 422)."""
    if not text.isdigit() or len(text) > 12:
        raise booking_errors.NotFound(f"{text[:20]!r} not found")
    return int(text)
