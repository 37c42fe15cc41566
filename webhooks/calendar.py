"""`GET /calendar/{secret}.ics`: a provider's or client's appointments as a calendar to subscribe to.

Public (a calendar app fetches it with no token; the secret in the path is the key), so it is
rate limited per address before anything is looked up. A wrong or revoked secret is 404. Thin:
`core.booking.feeds` finds and renders the feed.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from webhooks.clientip import client_ip
from webhooks.deps import ContainerDep
from webhooks.ratelimit import enforce

router = APIRouter(tags=["calendar"], include_in_schema=False)
MEDIA_TYPE = "text/calendar; charset=utf-8"


@router.api_route("/calendar/{secret}.ics", methods=["GET", "HEAD"])
def calendar_feed(secret: str, request: Request, container: ContainerDep) -> Response:
    enforce(request, ("calendar_ip", client_ip(request)))
    body = container.feeds.render(secret)  # NotFound -> 404 (webhooks.errors)
    # Private: the feed names people; a shared cache must not keep it.
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})
