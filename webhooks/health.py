"""`GET /healthz`: can this process reach its database (required) and Redis (optional)?"""
from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webhooks.api.schemas import Health
from webhooks.deps import ContainerDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "database down"}})
def healthz(container: ContainerDep) -> JSONResponse:
    """200 while the database answers; Redis down only degrades (locks and holds step aside)."""
    database = redis = "ok"
    try:
        with container.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", exc)
        database = "unavailable"
    if container.redis is None:
        redis = "unavailable"
    else:
        try:
            container.redis.ping()
        except (RedisError, OSError) as exc:
            log.warning("health check: Redis unavailable: %s", exc)
            redis = "unavailable"
    body = Health(status="ok" if database == "ok" else "unavailable", database=database, redis=redis)
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)
