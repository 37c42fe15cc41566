"""Schemathesis over the app's own OpenAPI: no generated request, valid or not, may get a 5xx.

A small business is set up first, so small generated ids often hit real rows and the
requests reach the booking core rather than stopping at a 404. Examples are bounded so the
suite stays fast; run with more (`--hypothesis-seed`, a larger `max_examples`) to dig deeper.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_helpers import (  # noqa: F401  (fixtures)
    AUTH,
    api_fixture,
    clock_fixture,
    container_fixture,
    make_business,
    make_client,
    make_provider,
)

import schemathesis  # noqa: E402  (a test dependency in pyproject.toml: never skipped)
from schemathesis.checks import not_a_server_error  # noqa: E402

from webhooks.app import create_app  # noqa: E402

# The schema comes from an app with no container: serving /openapi.json needs none. Each case
# is then sent to the test's own app, built over the parametrized engine.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(None))


@pytest.fixture
def seeded_api(api: TestClient) -> TestClient:
    biz = make_business(api)
    make_provider(api, [biz.service_id], name="Bo", tz="America/New_York")
    make_client(api, "Cy", email="cy@example.com")
    assert api.post("/api/v1/appointments", json={
        "serviceId": biz.service_id, "providerId": biz.provider_id, "clientId": biz.client_id,
        "startTime": "2025-03-24T10:00:00Z"}).status_code == 201
    return api


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_generated_request_gets_a_server_error(case, seeded_api: TestClient):
    case.call_and_validate(app=seeded_api.app, headers=AUTH, checks=[not_a_server_error])


ZONES = st.sampled_from([timezone.utc, ZoneInfo("Europe/London"), ZoneInfo("America/New_York"),
                         timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))])
NEAR = st.datetimes(min_value=datetime(2025, 3, 19), max_value=datetime(2025, 5, 30), timezones=ZONES)
ANY_TIME = st.one_of(NEAR.map(lambda t: t.replace(minute=t.minute // 15 * 15, second=0, microsecond=0)),
                     st.datetimes(timezones=ZONES))


@given(starts=st.lists(ANY_TIME, min_size=1, max_size=4))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_any_start_time_books_or_is_refused_cleanly(seeded_api: TestClient, starts: list[datetime]):
    for start in starts:
        response = seeded_api.post("/api/v1/appointments", json={
            "serviceId": 1, "providerId": 1, "clientId": 2, "startTime": start.isoformat()})
        assert response.status_code in (201, 409, 422), (start, response.text)
        assert response.json()["detail" if response.status_code != 201 else "id"]


@given(first=st.dates(), days=st.integers(min_value=-3, max_value=120), zone=st.sampled_from(
    [None, "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12"]))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_any_date_range_answers_slots_or_a_clear_refusal(seeded_api: TestClient, first: date, days: int,
                                                         zone: str | None):
    inside = date.min + timedelta(days=3) < first < date.max - timedelta(days=120)
    last = first + timedelta(days=days) if inside else first
    params = {"serviceId": 1, "startDate": first.isoformat(), "endDate": last.isoformat()}
    if zone:
        params["timezone"] = zone
    response = seeded_api.get("/api/v1/availability", params=params)
    assert response.status_code in (200, 422), (params, response.text)
