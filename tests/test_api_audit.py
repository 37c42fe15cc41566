"""`GET /api/v1/audit`, on SQLite and PostgreSQL: every change over REST records who made it (`admin`, or
`<role>:<id>` for a user's token), newest first, filtered by time and user, a page at a time; admins only."""
from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from core.db.models import User

from tests.api_helpers import (  # noqa: F401  (fixtures)
    NOW,
    api_fixture,
    book,
    clock_fixture,
    container_fixture,
    created,
    make_business,
    make_client,
    make_provider,
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
    assert {e["actor"] for e in hers} == {f"client:{biz.client_id}"}
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
    everything = ok(api.get("/api/v1/audit"))  # the set-up's entries too (service, provider, hours, client)
    first = ok(api.get("/api/v1/audit", params={"limit": 3}))
    rest = ok(api.get("/api/v1/audit", params={"limit": 1000, "before": first[-1]["id"]}))
    assert len(first) == 3 and first + rest == everything and rest[0]["id"] < first[-1]["id"]
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


def token(api: TestClient, user_id: int) -> TestClient:
    return as_(api, created(api.post("/api/v1/tokens", json={"userId": user_id}))["token"])


def logged(api: TestClient, **params) -> list[tuple]:
    return [(e["actor"], e["action"], e["entity"], e["entityId"]) for e in ok(api.get("/api/v1/audit", params=params))]


def test_every_kind_of_rest_change_is_recorded_with_who_made_it(api: TestClient):
    """Set-up, hours, time off, users, policies, the waiting list, calendar feeds, export and erasure: each
    change one entry, as the principal's actor, saying what changed but no one's contacts."""
    room = created(api.post("/api/v1/resources", json={"name": "Room 1"}))["id"]
    cut = created(api.post("/api/v1/services", json={"name": "Haircut", "duration": 30, "resourceIds": [room]}))["id"]
    ok(api.patch(f"/api/v1/services/{cut}", json={"needsApproval": True}))
    ana_user = created(api.post("/api/v1/users", json={"name": "Ana", "role": "provider",
                                                       "email": "ana@example.com", "phone": "+442079460958"}))["id"]
    ana = make_provider(api, [cut], name="Ana", userId=ana_user, days=[])
    bea = make_client(api, "Bea", email="bea@example.com")
    ok(api.patch("/api/v1/business", json={"cancellationWindowHours": 12, "noShowLimit": None}))
    as_ana, as_bea = token(api, ana_user), token(api, bea)
    ok(as_ana.post(f"/api/v1/providers/{ana}/availability", json={
        "timeSlots": [{"dayOfWeek": 1, "startTime": "09:00", "endTime": "17:00"}], "recurrence": "weekly"}))
    ok(as_ana.post(f"/api/v1/providers/{ana}/date-overrides", json={
        "date": "2025-03-25", "timeSlots": [{"startTime": "10:00", "endTime": "12:00"}]}))
    off = created(as_ana.post(f"/api/v1/providers/{ana}/time-off", json={
        "startTime": "2025-03-26T09:00:00Z", "endTime": "2025-03-26T12:00:00Z", "reason": "dentist"}))["id"]
    ok(as_ana.delete(f"/api/v1/providers/{ana}/time-off/{off}"))
    ok(as_ana.get(f"/api/v1/providers/{ana}/calendar"))
    ok(as_ana.get(f"/api/v1/providers/{ana}/calendar"))  # the same feed: nothing changed
    feed = ok(as_ana.delete(f"/api/v1/providers/{ana}/calendar"))
    assert feed == {"revoked": True}
    ok(as_bea.patch(f"/api/v1/users/{bea}", json={"phone": "+442079460959", "timezone": "Europe/Paris"}))
    entry = created(as_bea.post("/api/v1/waitlist", json={
        "clientId": bea, "serviceId": cut, "windowStart": "2025-03-24T00:00:00Z",
        "windowEnd": "2025-03-25T00:00:00Z"}))["id"]
    created(as_bea.post("/api/v1/waitlist", json={  # joining again: the same entry, no new change
        "clientId": bea, "serviceId": cut, "windowStart": "2025-03-24T00:00:00Z",
        "windowEnd": "2025-03-25T00:00:00Z"}))
    ok(as_bea.delete(f"/api/v1/waitlist/{entry}"))
    ok(api.get(f"/api/v1/users/{bea}/export"))
    ok(api.post(f"/api/v1/users/{bea}/erase"))

    entries = ok(api.get("/api/v1/audit", params={"limit": 1000}))
    made = [(e["actor"], e["action"], e["entity"], e["entityId"]) for e in reversed(entries)
            if e["entity"] != "api_token"]
    provider, client = f"provider:{ana_user}", f"client:{bea}"
    feed_ids = [e["entityId"] for e in entries if e["entity"] == "calendar_feed"]
    assert made == [
        ("admin", "create", "resource", room), ("admin", "create", "service", cut),
        ("admin", "update", "service", cut), ("admin", "create", "user", ana_user),
        ("admin", "create", "provider", ana), ("admin", "set_hours", "provider", ana),  # make_provider's hours
        ("admin", "create", "user", bea), ("admin", "update", "business", 1),
        (provider, "set_hours", "provider", ana), (provider, "set_date_hours", "provider", ana),
        (provider, "add", "time_off", off), (provider, "remove", "time_off", off),
        (provider, "create", "calendar_feed", feed_ids[0]), (provider, "revoke", "calendar_feed", feed_ids[0]),
        (client, "update", "user", bea), (client, "join", "waitlist_entry", entry),
        (client, "leave", "waitlist_entry", entry),
        ("admin", "export", "user", bea), ("admin", "erase", "user", bea)]
    details = {(e["action"], e["entity"]): e["details"] for e in reversed(entries)}  # the latest of each
    assert details[("update", "business")] == {"cancellationWindowHours": 12, "noShowLimit": None}
    assert details[("update", "service")] == {"needsApproval": True}
    assert details[("create", "service")]["resourceIds"] == [room]
    assert details[("set_date_hours", "provider")] == {"date": "2025-03-25", "hours": ["10:00-12:00"]}
    assert details[("set_hours", "provider")] == {"hours": ["1 09:00-17:00"]}
    assert details[("add", "time_off")]["start"].startswith("2025-03-26T09:00:00")
    assert details[("update", "user")] == {"fields": ["phone", "timezone"], "timezone": "Europe/Paris"}
    assert details[("create", "user")] == {"role": "client", "timezone": None, "preferredChannel": None,
                                           "contacts": ["email"]}
    shown = str(entries)
    for private in ("ana@example.com", "+442079460958", "bea@example.com", "+442079460959", "dentist", "calendar/"):
        assert private not in shown


def test_a_provider_cancelling_late_with_their_token_is_not_the_client_s_late_cancellation(api: TestClient, clock):
    biz = make_business(api)
    ana_user = created(api.post("/api/v1/users", json={"name": "Ana", "role": "provider"}))["id"]
    ana = make_provider(api, [biz.service_id], name="Ana Two", userId=ana_user)
    as_ana, as_bea = token(api, ana_user), token(api, biz.client_id)
    soon = {"serviceId": biz.service_id, "providerId": ana, "clientId": biz.client_id}
    theirs = created(api.post("/api/v1/appointments", json={**soon, "startTime": "2025-03-20T15:00:00Z"}))
    hers = created(api.post("/api/v1/appointments", json={**soon, "startTime": "2025-03-20T16:00:00Z"}))
    by_provider = ok(as_ana.delete(f"/api/v1/appointments/{theirs['id']}"))  # three hours ahead: inside 24
    assert by_provider["lateCancellation"] is False
    assert ok(api.get(f"/api/v1/users/{biz.client_id}"))["lateCancellations"] == 0
    assert ok(as_bea.delete(f"/api/v1/appointments/{hers['id']}"))["lateCancellation"] is True
    assert ok(api.get(f"/api/v1/users/{biz.client_id}"))["lateCancellations"] == 1
    cancels = {e["entityId"]: (e["actor"], e["details"]["late"])
               for e in ok(api.get("/api/v1/audit")) if e["action"] == "cancel"}
    assert cancels == {theirs["id"]: (f"provider:{ana_user}", False), hers["id"]: (f"client:{biz.client_id}", True)}


def test_a_user_s_changes_are_found_by_user_id_whatever_their_role(api: TestClient):
    biz = make_business(api)
    ana_user = created(api.post("/api/v1/users", json={"name": "Ana", "role": "provider"}))["id"]
    ana = make_provider(api, [biz.service_id], name="Ana Two", userId=ana_user)
    ada = created(api.post("/api/v1/users", json={"name": "Ada", "role": "admin"}))["id"]
    as_ana, as_bea, as_ada = token(api, ana_user), token(api, biz.client_id), token(api, ada)
    ok(as_ana.post(f"/api/v1/providers/{ana}/date-overrides", json={"date": "2025-03-25"}))
    ok(as_bea.patch(f"/api/v1/users/{biz.client_id}", json={"timezone": "Europe/Paris"}))
    room = created(as_ada.post("/api/v1/resources", json={"name": "Room 2"}))["id"]
    assert logged(api, userId=ana_user) == [(f"provider:{ana_user}", "set_date_hours", "provider", ana)]
    assert logged(api, userId=biz.client_id) == [(f"client:{biz.client_id}", "update", "user", biz.client_id)]
    assert logged(api, userId=ada) == [(f"admin:{ada}", "create", "resource", room)]
    # Made an admin later: the changes made as a client are still found as theirs.
    with api.app.state.container.session_factory() as s:
        s.get(User, biz.client_id).role = "admin"
        s.commit()
    created(as_bea.post("/api/v1/resources", json={"name": "Room 3"}))
    assert [entry[0] for entry in logged(api, userId=biz.client_id)] == [
        f"admin:{biz.client_id}", f"client:{biz.client_id}"]
