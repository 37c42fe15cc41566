"""Availability across daylight-saving changes, through the API: a London provider seen from
New York in the week the UK springs forward (30 March 2025), and the night it falls back."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from fastapi.testclient import TestClient

from tests.api_helpers import (  # noqa: F401  (fixtures)
    api_fixture,
    clock_fixture,
    container_fixture,
    created,
    make_client,
    make_service,
    ok,
)

EVERY_DAY = range(1, 8)


def london_provider(api: TestClient, service_id: int) -> int:
    """Open 09:00-17:00 every day, and also 00:00-04:00 on Sundays: the night the clocks change."""
    provider_id = created(api.post("/api/v1/providers", json={
        "name": "Lon", "timezone": "Europe/London", "serviceIds": [service_id]}))["id"]
    slots = [{"dayOfWeek": d, "startTime": "09:00", "endTime": "17:00"} for d in EVERY_DAY]
    slots.append({"dayOfWeek": 7, "startTime": "00:00", "endTime": "04:00"})
    ok(api.post(f"/api/v1/providers/{provider_id}/availability", json={"timeSlots": slots}))
    return provider_id


def slots(api: TestClient, provider_id: int, service_id: int, start: str, end: str, tz: str | None = None):
    params = {"serviceId": service_id, "startDate": start, "endDate": end}
    if tz:
        params["timezone"] = tz
    return ok(api.get(f"/api/v1/providers/{provider_id}/availability", params=params))


def test_spring_forward_week_seen_from_new_york(api: TestClient):
    service_id = make_service(api, duration=30)
    provider_id = london_provider(api, service_id)
    body = slots(api, provider_id, service_id, "2025-03-24", "2025-04-01", tz="America/New_York")
    assert body["timezone"] == "America/New_York"
    starts = [s["startTime"] for s in body["slots"]]
    assert all(s.endswith("-04:00") for s in starts)  # New York is on EDT all week
    assert len(starts) == 9 * 31 + 11  # nine days 09-17, plus a Sunday night one hour short
    # 09:00 in London is 05:00 in New York before the change, and 04:00 after it.
    assert "2025-03-28T05:00:00-04:00" in starts and "2025-03-28T04:00:00-04:00" not in starts
    assert "2025-03-31T04:00:00-04:00" in starts and "2025-03-31T05:00:00-04:00" in starts
    assert starts.index("2025-03-31T04:00:00-04:00") == starts.index("2025-03-31T05:00:00-04:00") - 4


def test_spring_forward_night_in_the_providers_own_zone(api: TestClient):
    service_id = make_service(api, duration=30)
    provider_id = london_provider(api, service_id)
    body = slots(api, provider_id, service_id, "2025-03-30", "2025-03-30")
    assert body["timezone"] == "Europe/London"
    local = [datetime.fromisoformat(s["startTime"]) for s in body["slots"]]
    night = [t.strftime("%H:%M%z") for t in local if t.hour < 9]
    # 01:00-01:59 does not exist that night in London: never offered.
    assert night == ["00:00+0000", "00:15+0000", "00:30+0000", "00:45+0000", "02:00+0100", "02:15+0100",
                     "02:30+0100", "02:45+0100", "03:00+0100", "03:15+0100", "03:30+0100"]
    assert {t.utcoffset().total_seconds() for t in local if t.hour >= 9} == {3600}


def test_booking_in_the_clients_zone_lands_on_the_providers_wall_clock(api: TestClient):
    service_id = make_service(api, duration=30)
    provider_id = london_provider(api, service_id)
    appt = created(api.post("/api/v1/appointments", json={
        "serviceId": service_id, "providerId": provider_id, "clientId": make_client(api),
        "startTime": "2025-03-31T04:00:00-04:00"}))  # 09:00 BST
    assert datetime.fromisoformat(appt["startTime"]) == datetime.fromisoformat("2025-03-31T08:00:00+00:00")
    after = slots(api, provider_id, service_id, "2025-03-31", "2025-03-31")
    assert after["slots"][0]["startTime"] == "2025-03-31T09:30:00+01:00"


def test_fall_back_night_offers_each_wall_time_once(api: TestClient, clock):
    clock.now = datetime.fromisoformat("2025-10-20T12:00:00+00:00")
    service_id = make_service(api, duration=30)
    provider_id = london_provider(api, service_id)
    body = slots(api, provider_id, service_id, "2025-10-26", "2025-10-26")
    night = [datetime.fromisoformat(s["startTime"]) for s in body["slots"]]
    night = [t for t in night if t.hour < 9]
    walls = Counter(t.strftime("%H:%M") for t in night)
    assert len(night) == 15 and max(walls.values()) == 1  # wall 00:00 .. 03:30, each once
    first_one_am = next(t for t in night if t.strftime("%H:%M") == "01:00")
    assert first_one_am.utcoffset().total_seconds() == 3600  # the first 01:00, still BST
