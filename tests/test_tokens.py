"""Per-user API tokens over REST, on SQLite and PostgreSQL: issued once and kept hashed, refused when
revoked or expired, and each scoped by its user's role (a provider's own provider, a client's own)."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from config.settings import Settings
from core.db.models import ApiToken
from slotline.bootstrap import build
from tests.api_helpers import (  # noqa: F401  (fixtures)
    NOW,
    api_fixture,
    clock_fixture,
    container_fixture,
    created,
    make_client,
    make_provider,
    make_service,
    ok,
)
from tests.test_cli import env_for
from webhooks.app import create_app

MONDAY_10, MONDAY_11 = "2025-03-24T10:00:00Z", "2025-03-24T11:00:00Z"


@dataclass
class Two:
    """Two providers (Ana, Bo) with a user each, two clients (Bea with Ana, Cy with Bo), one appointment each."""

    service_id: int
    ana: int
    bo: int
    ana_user: int
    bea: int
    cy: int
    beas: int  # Bea's appointment, with Ana
    cys: int  # Cy's, with Bo


def user(api: TestClient, name: str, role: str, email: str | None = None) -> int:
    return created(api.post("/api/v1/users", json={"name": name, "role": role, "email": email}))["id"]


def token_for(api: TestClient, user_id: int, **extra) -> dict:
    return created(api.post("/api/v1/tokens", json={"userId": user_id, **extra}))


def as_(api: TestClient, token: str) -> TestClient:
    return TestClient(api.app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def two(api: TestClient) -> Two:
    service_id = make_service(api)
    ana_user, bo_user = user(api, "Ana", "provider"), user(api, "Bo", "provider")
    ana = make_provider(api, [service_id], name="Ana", userId=ana_user)
    bo = make_provider(api, [service_id], name="Bo", userId=bo_user)
    bea, cy = make_client(api, "Bea", email="bea@example.com"), make_client(api, "Cy", email="cy@example.com")
    beas = created(api.post("/api/v1/appointments", json={
        "serviceId": service_id, "providerId": ana, "clientId": bea, "startTime": MONDAY_10}))["id"]
    cys = created(api.post("/api/v1/appointments", json={
        "serviceId": service_id, "providerId": bo, "clientId": cy, "startTime": MONDAY_11}))["id"]
    return Two(service_id, ana, bo, ana_user, bea, cy, beas, cys)


def test_a_token_is_shown_once_and_only_its_hash_is_kept(api: TestClient, two: Two, session_factory):
    issued = token_for(api, two.bea, name="Bea's phone", expiresAt="2025-06-01T00:00:00Z")
    assert issued["token"].startswith("slt_") and len(issued["token"]) > 40
    assert issued["userId"] == two.bea and issued["name"] == "Bea's phone" and issued["createdAt"]
    assert issued["expiresAt"].startswith("2025-06-01T00:00:00")
    listed = ok(api.get("/api/v1/tokens"))
    assert [t["id"] for t in listed] == [issued["id"]] and "token" not in listed[0]
    assert issued["token"].startswith(listed[0]["prefix"]) and len(listed[0]["prefix"]) == 8
    with session_factory() as s:
        row = s.scalars(select(ApiToken)).one()
        stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(issued["token"] in value for value in stored)
    assert row.token_hash == hashlib.sha256(issued["token"].encode()).hexdigest()


def test_issuing_refuses_an_unknown_user_and_an_expiry_gone_by(api: TestClient, two: Two):
    response = api.post("/api/v1/tokens", json={"userId": 9999})
    assert response.status_code == 404 and response.json()["detail"] == "user 9999 not found"
    response = api.post("/api/v1/tokens", json={"userId": two.bea, "expiresAt": "2025-03-01T00:00:00Z"})
    assert response.status_code == 422 and "expiresAt must be a time ahead" in response.json()["detail"]


def test_a_revoked_or_expired_token_is_401_with_why(api: TestClient, two: Two, clock):
    revoked = token_for(api, two.bea)
    expiring = token_for(api, two.bea, expiresAt=(NOW + timedelta(hours=1)).isoformat())
    assert ok(as_(api, revoked["token"]).get("/api/v1/appointments"))
    gone = ok(api.delete(f"/api/v1/tokens/{revoked['id']}"))
    assert gone["revokedAt"] and ok(api.delete(f"/api/v1/tokens/{revoked['id']}"))["revokedAt"] == gone["revokedAt"]
    response = as_(api, revoked["token"]).get("/api/v1/appointments")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert ok(as_(api, expiring["token"]).get("/api/v1/appointments"))
    clock.now = NOW + timedelta(hours=1)
    response = as_(api, expiring["token"]).get("/api/v1/appointments")
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    response = as_(api, "slt_" + "x" * 43).get("/api/v1/services")
    assert response.status_code == 401 and response.json()["detail"] == "invalid bearer token"
    assert api.delete("/api/v1/tokens/9999").status_code == 404


def test_a_provider_s_token_sees_and_changes_only_its_own_provider(api: TestClient, two: Two):
    ana = as_(api, token_for(api, two.ana_user)["token"])
    assert [a["id"] for a in ok(ana.get("/api/v1/appointments"))] == [two.beas]
    response = ana.get("/api/v1/appointments", params={"providerId": two.bo})
    assert response.status_code == 403 and response.json() == {
        "detail": "a provider's token sees only its own provider's", "code": "forbidden"}
    for method, extra in (("GET", {}), ("PUT", {"json": {"startTime": "2025-03-24T14:00:00Z"}}), ("DELETE", {})):
        response = ana.request(method, f"/api/v1/appointments/{two.cys}", **extra)
        assert response.status_code == 404, (method, response.text)
        assert response.json()["detail"] == f"appointment {two.cys} not found"
    assert ok(api.get(f"/api/v1/appointments/{two.cys}"))["status"] == "confirmed"  # untouched
    response = ana.post("/api/v1/services", json={"name": "Massage", "duration": 60})
    assert response.status_code == 403 and response.json()["detail"] == "only an admin may create services"
    response = ana.post("/api/v1/appointments", json={
        "serviceId": two.service_id, "providerId": two.bo, "clientId": two.bea, "startTime": "2025-03-24T15:00:00Z"})
    assert response.status_code == 403
    hours = {"timeSlots": [{"dayOfWeek": 1, "startTime": "10:00", "endTime": "12:00"}], "recurrence": "weekly"}
    assert ana.post(f"/api/v1/providers/{two.bo}/availability", json=hours).status_code == 403
    assert ana.get(f"/api/v1/providers/{two.bo}/calendar").status_code == 403
    assert ana.post(f"/api/v1/providers/{two.bo}/time-off", json={
        "startTime": "2025-03-25T09:00:00Z", "endTime": "2025-03-25T12:00:00Z"}).status_code == 403
    # Its own: moved, time off, the feed, and its client's name (not their email).
    moved = ok(ana.put(f"/api/v1/appointments/{two.beas}", json={"startTime": "2025-03-24T14:00:00Z"}))
    assert moved["startTime"].startswith("2025-03-24T14:00")
    assert created(ana.post(f"/api/v1/providers/{two.ana}/time-off", json={
        "startTime": "2025-03-25T09:00:00Z", "endTime": "2025-03-25T12:00:00Z"}))
    assert ok(ana.get(f"/api/v1/providers/{two.ana}/calendar"))["url"].endswith(".ics")
    bea = ok(ana.get(f"/api/v1/users/{two.bea}"))
    assert bea["name"] == "Bea" and bea["email"] is None
    assert ana.get(f"/api/v1/users/{two.cy}").status_code == 404  # Bo's client
    assert {p["name"] for p in ok(ana.get("/api/v1/providers"))} >= {"Bo", "Ana"}  # lists are for anyone
    assert ok(ana.get("/api/v1/services"))
    assert ana.get("/api/v1/reports/summary").status_code == 403


def test_a_client_s_token_sees_and_changes_only_their_own(api: TestClient, two: Two):
    bea = as_(api, token_for(api, two.bea)["token"])
    assert [a["id"] for a in ok(bea.get("/api/v1/appointments"))] == [two.beas]
    assert bea.get("/api/v1/appointments", params={"clientId": two.cy}).status_code == 403
    assert [a["id"] for a in ok(bea.get("/api/v1/appointments", params={"providerId": two.bo}))] == []
    assert bea.get(f"/api/v1/appointments/{two.cys}").status_code == 404
    assert bea.request("DELETE", f"/api/v1/appointments/{two.cys}").status_code == 404
    for_cy = {"serviceId": two.service_id, "providerId": two.bo, "clientId": two.cy,
              "startTime": "2025-03-24T15:00:00Z"}
    response = bea.post("/api/v1/appointments", json=for_cy)
    assert response.status_code == 403 and response.json()["detail"] == "a client's token books only for the client"
    mine = created(bea.post("/api/v1/appointments", json={**for_cy, "clientId": two.bea}))
    assert mine["clientId"] == two.bea
    response = bea.put(f"/api/v1/appointments/{mine['id']}", json={"status": "no_show"})
    assert response.status_code == 403
    assert ok(bea.request("DELETE", f"/api/v1/appointments/{mine['id']}"))["status"] == "cancelled"
    assert ok(bea.get(f"/api/v1/users/{two.bea}"))["email"] == "bea@example.com"  # their own record, whole
    assert bea.get(f"/api/v1/users/{two.cy}").status_code == 404
    assert bea.patch(f"/api/v1/users/{two.cy}", json={"name": "Mallory"}).status_code == 404
    assert ok(bea.patch(f"/api/v1/users/{two.bea}", json={"timezone": "Europe/Paris"}))["timezone"] == "Europe/Paris"
    assert bea.post("/api/v1/users", json={"name": "X", "role": "admin"}).status_code == 403
    assert bea.post("/api/v1/tokens", json={"userId": two.bea}).status_code == 403
    assert bea.get("/api/v1/business").status_code == 403
    window = {"serviceId": two.service_id, "windowStart": "2025-03-26T00:00:00Z", "windowEnd": "2025-03-27T00:00:00Z"}
    cys_entry = created(api.post("/api/v1/waitlist", json={**window, "clientId": two.cy}))
    assert bea.post("/api/v1/waitlist", json={**window, "clientId": two.cy}).status_code == 403
    own = created(bea.post("/api/v1/waitlist", json={**window, "clientId": two.bea}))
    assert [e["id"] for e in ok(bea.get("/api/v1/waitlist"))] == [own["id"]]
    assert bea.delete(f"/api/v1/waitlist/{cys_entry['id']}").status_code == 404
    assert ok(bea.delete(f"/api/v1/waitlist/{own['id']}"))["status"] == "left"


def test_an_admin_user_s_token_does_what_the_admin_token_does(api: TestClient, two: Two):
    ada = as_(api, token_for(api, created(api.post("/api/v1/users", json={
        "name": "Ada", "role": "admin"}))["id"])["token"])
    assert created(ada.post("/api/v1/services", json={"name": "Massage", "duration": 60}))["name"] == "Massage"
    assert {a["id"] for a in ok(ada.get("/api/v1/appointments"))} == {two.beas, two.cys}
    assert token_for(ada, two.cy)["userId"] == two.cy


def test_slotline_token_create_prints_a_token_that_works(tmp_path, redis_client):
    def slotline(*args: str):
        return subprocess.run([sys.executable, "-m", "slotline.cli", *args], env=env_for(tmp_path),
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)

    assert slotline("migrate").returncode == 0
    container = build(Settings(SLOTLINE_ADMIN_TOKEN="admin-token", SLOTLINE_DATA_DIR=str(tmp_path)), redis=redis_client)
    try:
        with TestClient(create_app(container), headers={"Authorization": "Bearer admin-token"}) as admin:
            bea = make_client(admin, "Bea")
            done = slotline("token", "create", "--user", str(bea), "--name", "laptop")
            assert done.returncode == 0, done.stderr
            token = done.stdout.strip()
            assert token.startswith("slt_") and "\n" not in token and "shown only now" in done.stderr
            assert ok(as_(admin, token).get("/api/v1/appointments")) == []
            assert ok(admin.get("/api/v1/tokens"))[0]["name"] == "laptop"
    finally:
        container.close()
    refused = slotline("token", "create", "--user", "9999")
    assert refused.returncode == 1 and "user 9999 not found" in refused.stderr and refused.stdout == ""
    naive = slotline("token", "create", "--user", str(bea), "--expires", "2030-01-01T00:00")
    assert naive.returncode == 2 and "zone offset" in naive.stderr
