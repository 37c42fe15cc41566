"""Shared wiring for the REST API tests: a container on the test engine and Redis, a fixed clock,
an authenticated TestClient, and the few calls most tests start with.

The fixtures are named `clock`, `container` and `api` but defined as `*_fixture`, so a test's
parameter does not shadow an imported name: a test module brings them in with
`from tests.api_helpers import api_fixture, clock_fixture, container_fixture  # noqa: F401`.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from slotline.bootstrap import Container, build
from tests.factories import FixedClock as Clock
from webhooks.app import create_app

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# A Thursday, with both London (GMT) and New York (EDT since 9 March) a week from a DST change.
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=timezone.utc)
WEEKDAYS = range(1, 6)


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock(NOW)


@pytest.fixture(name="container")
def container_fixture(engine, redis_client, clock: Clock, tmp_path: Path) -> Container:
    settings = Settings(SLOTLINE_ADMIN_TOKEN=TOKEN, SLOTLINE_DATA_DIR=str(tmp_path))
    return build(settings, redis=redis_client, engine=engine, clock=clock)


@pytest.fixture(name="api")
def api_fixture(container: Container) -> Iterator[TestClient]:
    """A client that sends the admin token on every request (`TestClient(api.app)` sends none)."""
    with TestClient(create_app(container), headers=AUTH) as client:
        yield client


@dataclass
class Business:
    service_id: int
    provider_id: int
    client_id: int


def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def ok(response) -> dict | list:
    assert response.status_code == 200, response.text
    return response.json()


def make_service(api: TestClient, name: str = "Haircut", duration: int = 30, **extra) -> int:
    return created(api.post("/api/v1/services", json={"name": name, "duration": duration, **extra}))["id"]


def make_provider(api: TestClient, service_ids: list[int], name: str = "Ana", tz: str = "Europe/London",
                  days=WEEKDAYS, start: str = "09:00", end: str = "17:00", **extra) -> int:
    provider_id = created(api.post("/api/v1/providers", json={
        "name": name, "timezone": tz, "serviceIds": service_ids, **extra}))["id"]
    slots = [{"dayOfWeek": d, "startTime": start, "endTime": end} for d in days]
    ok(api.post(f"/api/v1/providers/{provider_id}/availability", json={"timeSlots": slots, "recurrence": "weekly"}))
    return provider_id


def make_client(api: TestClient, name: str = "Bea", email: str | None = None) -> int:
    return created(api.post("/api/v1/users", json={"name": name, "email": email, "role": "client"}))["id"]


def make_business(api: TestClient, duration: int = 30, **service_extra) -> Business:
    service_id = make_service(api, duration=duration, **service_extra)
    return Business(service_id, make_provider(api, [service_id]), make_client(api))


def book(api: TestClient, biz: Business, start: str, key: str | None = None, client_id: int | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post("/api/v1/appointments", headers=headers, json={
        "serviceId": biz.service_id, "providerId": biz.provider_id,
        "clientId": client_id or biz.client_id, "startTime": start})
