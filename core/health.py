"""Can this process reach what it stands on: its database (required) and Redis (optional)?"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthReport:
    """What answered. Without the database nothing works; without Redis locks and holds step aside."""

    database: bool
    redis: bool

    @property
    def ok(self) -> bool:
        return self.database


def database_reachable(engine: Engine) -> bool:
    """True when the database answers a trivial query; a failure is logged, not raised."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", exc)
        return False
    return True


def redis_reachable(client: Redis | None) -> bool:
    """True when Redis answers a PING; None (running without Redis) is unreachable."""
    if client is None:
        return False
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        log.warning("health check: Redis unavailable: %s", exc)
        return False
    return True


def check(engine: Engine, client: Redis | None) -> HealthReport:
    """Probe the database and Redis once each."""
    return HealthReport(database=database_reachable(engine), redis=redis_reachable(client))
