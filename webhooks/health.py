"""`GET /healthz`: can this process reach its database (required) and Redis (optional)?"""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from core import health
from webhooks.api.schemas import Health
from webhooks.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "database down"}})
def healthz(container: ContainerDep) -> JSONResponse:
    """200 while the database answers; Redis down only degrades (locks and holds step aside)."""
    report = health.check(container.engine, container.redis)
    body = Health(status="ok" if report.ok else "unavailable", database=_word(report.database),
                  redis=_word(report.redis))
    return JSONResponse(body.model_dump(), status_code=200 if report.ok else 503)


def _word(reachable: bool) -> str:
    return "ok" if reachable else "unavailable"
