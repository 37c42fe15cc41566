"""The REST API under /api/v1: one router module per resource, all behind a bearer token (`webhooks.deps`)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from webhooks.api import appointments, availability, providers, resources, schedule, services, users, waitlist
from webhooks.api import calendar as calendar_feeds
from webhooks.api import reports
from webhooks.api import business
from webhooks.api import audit, tokens
from webhooks.api import privacy
from webhooks.deps import get_principal

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(get_principal)])
for module in (users, services, resources, providers, schedule, availability, appointments, waitlist):
    api_router.include_router(module.router)
api_router.include_router(privacy.router)  # /users/{id}/export and /erase
api_router.include_router(calendar_feeds.router)
api_router.include_router(reports.router)
api_router.include_router(business.router)
api_router.include_router(tokens.router)
api_router.include_router(audit.router)
