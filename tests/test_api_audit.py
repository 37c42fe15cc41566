"""`GET /api/v1/audit`, on SQLite and PostgreSQL: every change over REST records who made it (`admin`, or
`user:<id>` for a user's token), newest first, filtered by time and user, a page at a time; admins only."""
from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api_helpers import (  # noqa: F401  (fixtures)
    NOW,
    api_fixture,
    book,
    clock_fixture,
    container_fixture,
    created,
    make_business,
    ok,
)


def as_(api: TestClient, token: str) -> TestClient:
    return TestClient(api.app, headers={"Authorization": f"Bearer {token}"})


def test_changes_made_with_a_user_s_token_show_that_user(api: TestClient, clock):
    biz = make_business(api)
    issued = created(api.post("/api/v1/tokens", json={"userId": biz.client_id, "name": "Bea's phone"}))
    bea = as_(api, issued["token"])
    by_admin = created(book(api, biz, "2025-03-24T09:00:00Z"))
    clock.now = NOW + timedelta(minutes=5)
    mine = created(bea.post("/api/v1/appointments", json={
        "serviceId": biz.service_id, "providerId": biz.provider_id, "clientId": biz.client_id,
        "startTime": "2025-03-24T10:00:00Z"}))
    clock.now = NOW + timedelta(minutes=10)
    ok(bea.put(f"/api/v1/appointments/{mine['id']}", json={"startTime": "2025-03-24T11:00:00Z"}))
    ok(bea.request("DELETE", f"/api/v1/appointments/{mine['id']}", json={"cancellationReason": "away"}))

    hers = ok(api.get("/api/v1/audit", params={"userId": biz.client_id}))
    assert [(e["action"], e["entityId"]) for e in hers] == [
        ("cancel", mine["id"]), ("reschedule", mine["id"]), ("book", mine["id"])]
    assert {e["actor"] for e in hers} == {f"user:{biz.client_id}"}
    assert set(hers[0]) == {"id", "at", "actor", "action", "entity", "entityId", "details"}
    assert hers[0]["entity"] == "appointment" and hers[0]["details"]["reason"] == "away"
    everything = ok(api.get("/api/v1/audit"))
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert ("admin", "book", by_admin["id"]) in [(e["actor"], e["action"], e["entityId"]) for e in everything]
    issue = next(e for e in everything if e["entity"] == "api_token")
    assert (issue["actor"], issue["action"], issue["entityId"]) == ("admin", "issue_token", issued["id"])
    assert "token" not in issue["details"] and issued["token"] not in str(everything)


def test_the_log_is_filtered_by_time_and_paged(api: TestClient, clock):
    biz = make_business(api)
    for hour in range(9, 13):  # one booking a minute apart: 12:00, 12:01, 12:02, 12:03
        clock.now = NOW + timedelta(minutes=hour - 9)
        created(book(api, biz, f"2025-03-24T{hour:02d}:00:00Z"))
    window = {"from": (NOW + timedelta(minutes=1)).isoformat(), "to": (NOW + timedelta(minutes=3)).isoformat()}
    inside = ok(api.get("/api/v1/audit", params=window))
    assert [e["at"][:19] for e in inside] == ["2025-03-20T12:02:00", "2025-03-20T12:01:00"]
    first = ok(api.get("/api/v1/audit", params={"limit": 3}))
    rest = ok(api.get("/api/v1/audit", params={"limit": 3, "before": first[-1]["id"]}))
    assert len(first) == 3 and len(rest) == 1 and rest[0]["id"] < first[-1]["id"]
    for limit in (0, 1001):
        response = api.get("/api/v1/audit", params={"limit": limit})
        assert response.status_code == 422 and "limit" in response.json()["detail"]
    assert ok(api.get("/api/v1/audit", params={"userId": 999})) == []


def test_only_an_admin_reads_the_log(api: TestClient):
    biz = make_business(api)
    bea = as_(api, created(api.post("/api/v1/tokens", json={"userId": biz.client_id}))["token"])
    response = bea.get("/api/v1/audit")
    assert response.status_code == 403 and response.json() == {
        "detail": "only an admin may read the audit log", "code": "forbidden"}
    assert TestClient(api.app).get("/api/v1/audit").status_code == 401
    ada = created(api.post("/api/v1/users", json={"name": "Ada", "role": "admin"}))["id"]
    assert ok(as_(api, created(api.post("/api/v1/tokens", json={"userId": ada}))["token"]).get("/api/v1/audit"))
