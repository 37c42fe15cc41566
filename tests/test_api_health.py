"""Health, metrics and docs: what an operator's probes and dashboards read."""
from __future__ import annotations

import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from config.settings import Settings
from slotline.bootstrap import build
from tests.api_helpers import (  # noqa: F401  (fixtures)
    AUTH,
    NOW,
    TOKEN,
    Clock,
    api_fixture,
    book,
    clock_fixture,
    container_fixture,
    created,
    make_business,
    ok,
)
from webhooks.app import create_app


def test_health_metrics_and_docs(api: TestClient, container):
    assert ok(api.get("/healthz")) == {"status": "ok", "database": "ok", "redis": "ok"}
    api.get("/api/v1/appointments/12345")
    api.get("/no/such/page")
    text = api.get("/metrics").text
    assert 'route="/api/v1/appointments/{appointment_id}"' in text and 'status="404"' in text
    assert 'route="<unmatched>"' in text and "/no/such/page" not in text
    assert "slotline_http_request_duration_seconds_bucket" in text
    assert api.get("/docs").status_code == 200
    spec = ok(api.get("/openapi.json"))
    assert spec["info"]["title"] == "Slotline" and "/api/v1/appointments/{appointment_id}" in spec["paths"]
    container.redis = None
    assert ok(api.get("/healthz"))["redis"] == "unavailable"


def test_every_app_has_its_own_metrics(container):
    first, second = create_app(container), create_app(container)  # no duplicate-registration error
    with TestClient(first, headers=AUTH) as one, TestClient(second, headers=AUTH) as two:
        one.get("/healthz")
        assert 'route="/healthz"' in one.get("/metrics").text
        assert 'route="/healthz"' not in two.get("/metrics").text


def test_database_down_is_503(tmp_path):
    # Nothing listens on port 1: every connection attempt is refused at once.
    engine = create_engine("postgresql+psycopg://slotline@127.0.0.1:1/slotline")
    settings = Settings(SLOTLINE_ADMIN_TOKEN=TOKEN, SLOTLINE_DATA_DIR=str(tmp_path))
    with TestClient(create_app(build(settings, redis=None, engine=engine))) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "redis": "unavailable"}


def test_a_booking_while_the_database_is_away_is_a_503_to_retry_not_a_500(tmp_path):
    engine = create_engine("postgresql+psycopg://slotline@127.0.0.1:1/slotline")  # refused at once
    settings = Settings(SLOTLINE_ADMIN_TOKEN=TOKEN, SLOTLINE_DATA_DIR=str(tmp_path))
    with TestClient(create_app(build(settings, redis=None, engine=engine)), headers=AUTH) as client:
        booked = client.post("/api/v1/appointments", json={"serviceId": 1, "providerId": 1, "clientId": 1,
                                                           "startTime": "2026-12-01T10:00:00+00:00"})
        listed = client.get("/api/v1/services")
    for answer in (booked, listed):
        assert answer.status_code == 503 and answer.headers["Retry-After"]
        assert answer.json() == {"detail": "Slotline cannot reach its database for a moment; please try again "
                                           "in a minute.", "code": "database_unavailable"}


def test_redis_down_degrades_health_but_bookings_go_on(engine, stoppable_redis, tmp_path):
    settings = Settings(SLOTLINE_ADMIN_TOKEN=TOKEN, SLOTLINE_DATA_DIR=str(tmp_path))
    client = redis.Redis.from_url(stoppable_redis.url, socket_connect_timeout=0.5, socket_timeout=0.5)
    with TestClient(create_app(build(settings, redis=client, engine=engine, clock=Clock(NOW))),
                    headers=AUTH) as api:
        biz = make_business(api)
        stoppable_redis.stop()
        assert ok(api.get("/healthz")) == {"status": "ok", "database": "ok", "redis": "unavailable"}
        created(book(api, biz, "2025-03-24T10:00:00Z"))
        assert book(api, biz, "2025-03-24T10:00:00Z").status_code == 409  # the database still guards
