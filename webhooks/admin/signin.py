"""Signing in and out of the console, and its stylesheets."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import PlainTextResponse, RedirectResponse

from core.booking.access import CLIENT
from core.booking.tokens import TokenRefused
from webhooks.admin import grid, session
from webhooks.admin.pages import HEADERS, HERE, ConsoleRoute, FormDep, message_page, render
from webhooks.clientip import client_ip
from webhooks.ratelimit import RateLimits

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)
SIGN_IN_LIMIT = "10/minute;100/hour"  # sign-in attempts per address: a token cannot be guessed, nor hammered
STYLES = {"console.css": (HERE / "static" / "console.css").read_text(), "grid.css": grid.stylesheet()}
STYLE_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@router.get("/signin")
def sign_in_page(request: Request, why: str = "") -> Response:
    return render(request, "signin.html", {"notice": session.ENDED.get(why, "")})


@router.post("/signin")
def sign_in(request: Request, form: FormDep) -> Response:
    session.check_form(request, None, form)
    container = request.app.state.container
    if container.redis is None:
        return message_page(request, "The console is not available",
                            "The console keeps its sessions in Redis, which is not configured.", 503)
    limits = getattr(request.app.state, "console_limits", None)
    if limits is None:
        limits = request.app.state.console_limits = RateLimits(container.redis, {"signin": SIGN_IN_LIMIT},
                                                               prefix="slotline:ratelimit:admin")
    refusal = limits.hit("signin", client_ip(request))
    if refusal is not None:
        return render(request, "signin.html", {"error": f"Too many attempts; try again in {refusal.retry_after} s."},
                      status_code=status.HTTP_429_TOO_MANY_REQUESTS)
    try:
        who = session.verify_token(request, form.get("token", ""))
    except TokenRefused as refused:
        return render(request, "signin.html", {"error": str(refused)}, status_code=status.HTTP_401_UNAUTHORIZED)
    if who.role == CLIENT:
        return message_page(request, "Not allowed", "The console is for the business: a client's token cannot "
                            "sign in here.", status.HTTP_403_FORBIDDEN)
    response = RedirectResponse("/admin", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    session.start(request, response, who)
    return response


@router.post("/signout")
def sign_out(request: Request, form: FormDep) -> Response:
    try:
        signed = session.current(request)
    except session.SignedOut:
        signed = None
    if signed is not None:
        session.check_form(request, signed, form)
    response = RedirectResponse("/admin/signin?why=out", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    session.end(request, response)
    return response


@router.get("/static/{name}")
def stylesheet(name: str) -> Response:
    if name not in STYLES:
        return PlainTextResponse("not found", status.HTTP_404_NOT_FOUND)
    return Response(STYLES[name], media_type="text/css; charset=utf-8", headers=STYLE_HEADERS)
