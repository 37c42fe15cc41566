"""The FastAPI app: REST API, health and metrics over one container. Thin: no booking logic."""
from __future__ import annotations

from fastapi import FastAPI

from slotline.bootstrap import Container
from webhooks import bodylimit, clientip, errors, metrics, ratelimit
from webhooks.admin import router as admin_router
from webhooks.api import api_router
from webhooks.calendar import router as calendar_router
from webhooks.chat import router as chat_router
from webhooks.health import router as health_router
from webhooks.manage import router as manage_router
from webhooks.offer import router as offer_router
from webhooks.slack import router as slack_router
from webhooks.telegram import router as telegram_router
from webhooks.twilio import router as twilio_router
from webhooks.unsubscribe import router as unsubscribe_router
from webhooks.webchat_page import router as webchat_page_router

DESCRIPTION = """Slotline's REST API: set up services, providers and their hours, read availability,
and book, move and cancel appointments. Every `/api/v1` route needs
`Authorization: Bearer $SLOTLINE_ADMIN_TOKEN`, or a user's API token (`POST /api/v1/tokens`), which may do
what the user's role allows: a provider their own provider's, a client their own. Times are aware ISO 8601."""


def create_app(container: Container) -> FastAPI:
    """Build the web app over `container` (see `slotline.bootstrap.build`)."""
    app = FastAPI(title="Slotline", description=DESCRIPTION, version="0.1.0", docs_url="/docs")
    app.state.container = container
    errors.install(app)
    ratelimit.install(app, container)
    # Middleware added later runs earlier: the client's IP is settled first, metrics count every
    # answer (a 413 too), and an oversized body is refused before any route reads it.
    app.add_middleware(bodylimit.BodySizeLimit)
    metrics.install(app)
    clientip.install(app, container.settings.trusted_proxy_list if container is not None else [])
    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(chat_router)
    app.include_router(telegram_router)
    app.include_router(twilio_router)
    app.include_router(webchat_page_router)
    app.include_router(manage_router)
    app.include_router(offer_router)
    app.include_router(unsubscribe_router)
    app.include_router(slack_router)
    app.include_router(calendar_router)
    app.include_router(admin_router)
    return app
