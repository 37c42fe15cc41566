"""The admin console at `/admin`: the business's screens, server-rendered with Jinja2, no JavaScript.

Sign in with the admin token or a user's API token (a provider's sees only their own provider's;
a client's is refused). Pages: the day grid and a provider's week, an appointment (move, cancel),
the waiting list, failed notifications (send again), the reports with inline SVG charts. Sessions
and CSRF: `webhooks.admin.session`; pages and their Content-Security-Policy: `webhooks.admin.pages`.
"""
from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from webhooks.admin import business, diary, signin
from webhooks.admin.pages import ConsoleRoute, message_page

router = APIRouter()
router.include_router(signin.router)
router.include_router(diary.router)
router.include_router(business.router)
_unknown = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)


@_unknown.get("/{rest:path}")
def unknown_page(request: Request, rest: str) -> Response:
    return message_page(request, "Not found", "There is no such page in the console.", status.HTTP_404_NOT_FOUND)


router.include_router(_unknown)
