"""The REST API end to end, on SQLite and PostgreSQL with a real Redis: the flow a README shows
with curl, then each refusal it promises (401, 404, 409, 422) with its message."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from tests.api_helpers import (  # noqa: F401  (fixtures)
    AUTH,
    NOW,
    api_fixture,
    book,
    clock_fixture,
    container_fixture,
    created,
    make_business,
    make_client,
    make_provider,
    make_service,
    ok,
)

MONDAY = "2025-03-24"


def starts(body: dict) -> list[datetime]:
    return [datetime.fromisoformat(s["startTime"]) for s in body["slots"]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_readme_flow_create_book_move_cancel(api: TestClient):
    service = created(api.post("/api/v1/services", json={
        "name": "Haircut", "duration": 30, "price": 25, "bufferAfter": 0, "synonyms": ["trim"]}))
    assert service["duration"] == 30 and service["price"] == 25.0 and service["synonyms"] == ["trim"]
    assert [s["id"] for s in ok(api.get("/api/v1/services"))] == [service["id"]]
    provider = created(api.post("/api/v1/providers", json={
        "name": "Ana", "timezone": "Europe/London", "serviceIds": [service["id"]]}))
    assert provider["serviceIds"] == [service["id"]] and provider["weeklyHours"] == []
    hours = ok(api.post(f"/api/v1/providers/{provider['id']}/availability", json={
        "timeSlots": [{"dayOfWeek": d, "startTime": "09:00", "endTime": "17:00"} for d in range(1, 6)],
        "recurrence": "weekly"}))
    assert len(hours["timeSlots"]) == 5 and hours["timeSlots"][0] == {
        "dayOfWeek": 1, "startTime": "09:00", "endTime": "17:00"}
    assert len(ok(api.get(f"/api/v1/providers/{provider['id']}"))["weeklyHours"]) == 5
    client = created(api.post("/api/v1/users", json={"name": "Bea", "email": "Bea@Example.com", "role": "client"}))
    assert client["email"] == "bea@example.com" and client["createdAt"]

    path = f"/api/v1/providers/{provider['id']}/availability"
    free = ok(api.get(path, params={"serviceId": service["id"], "startDate": MONDAY, "endDate": MONDAY}))
    assert len(free["slots"]) == 31  # 09:00 .. 16:30 every 15 minutes
    assert at(free["slots"][0]["startTime"]) == at("2025-03-24T09:00:00+00:00")
    assert at(free["slots"][0]["endTime"]) == at("2025-03-24T09:30:00+00:00")

    appt = created(api.post("/api/v1/appointments", json={
        "serviceId": service["id"], "providerId": provider["id"], "clientId": client["id"],
        "startTime": "2025-03-24T10:00:00Z", "notes": "first visit"}))
    assert appt["status"] == "confirmed" and len(appt["confirmationCode"]) == 6 and appt["version"] == 1
    assert at(appt["endTime"]) == at("2025-03-24T10:30:00+00:00") and appt["lateCancellation"] is False
    taken = starts(ok(api.get(path, params={"serviceId": service["id"], "startDate": MONDAY})))
    assert len(taken) == 28 and at("2025-03-24T10:00:00+00:00") not in taken

    assert ok(api.get(f"/api/v1/appointments/{appt['id']}"))["notes"] == "first visit"
    listed = ok(api.get("/api/v1/appointments", params={"providerId": provider["id"], "status": "confirmed"}))
    assert [a["id"] for a in listed] == [appt["id"]]

    moved = ok(api.put(f"/api/v1/appointments/{appt['id']}", json={"startTime": "2025-03-24T11:00:00+00:00"}))
    assert at(moved["startTime"]) == at("2025-03-24T11:00:00+00:00") and moved["version"] == 2
    cancelled = ok(api.request("DELETE", f"/api/v1/appointments/{appt['id']}",
                               json={"cancellationReason": "feeling better"}))
    assert cancelled["status"] == "cancelled" and cancelled["cancellationReason"] == "feeling better"
    assert cancelled["lateCancellation"] is False  # four days ahead, outside the 24-hour window
    assert ok(api.get("/api/v1/appointments", params={"status": "confirmed,pending"})) == []


def test_every_api_route_needs_the_admin_token(api: TestClient):
    anonymous = TestClient(api.app)
    for method, path in [("GET", "/api/v1/services"), ("POST", "/api/v1/appointments"),
                         ("GET", "/api/v1/appointments/1"), ("DELETE", "/api/v1/appointments/1")]:
        response = anonymous.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "bearer token" in response.json()["detail"]
    for value in (b"Bearer wrong", b"Basic dGVzdC10b2tlbg==", "Bearer t\u00e9st-token".encode("latin-1"), b"Bearer "):
        response = anonymous.get("/api/v1/services", headers={"Authorization": value})
        assert response.status_code == 401, value
    assert anonymous.get("/healthz").status_code == 200
    assert ok(anonymous.get("/api/v1/services", headers=AUTH)) == []


def test_a_taken_slot_and_an_overlapping_start_are_409(api: TestClient):
    biz = make_business(api, duration=60)
    other = make_client(api, "Cy")
    created(book(api, biz, "2025-03-24T10:00:00Z"))
    for start in ("2025-03-24T10:00:00Z", "2025-03-24T10:30:00Z", "2025-03-24T09:15:00Z"):
        response = book(api, biz, start, client_id=other)
        assert response.status_code == 409, start
        assert response.json()["code"] == "slot_taken" and "booked" in response.json()["detail"]
    created(book(api, biz, "2025-03-24T11:00:00Z", client_id=other))  # back to back is fine


def test_two_clients_racing_for_one_slot_get_one_booking(api: TestClient):
    biz = make_business(api)
    clients = [make_client(api, f"Racer {i}") for i in range(4)]
    statuses: list[int] = []
    barrier = threading.Barrier(len(clients))

    def race(client_id: int) -> None:
        with TestClient(api.app, headers=AUTH) as own:
            barrier.wait()
            statuses.append(book(own, biz, "2025-03-25T14:00:00Z", client_id=client_id).status_code)

    threads = [threading.Thread(target=race, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]


def test_idempotency_key_replays_the_first_booking(api: TestClient):
    biz = make_business(api)
    first = book(api, biz, "2025-03-24T10:00:00Z", key="tap-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = book(api, biz, "2025-03-24T10:00:00Z", key="tap-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(ok(api.get("/api/v1/appointments"))) == 1
    other_service = make_service(api, "Shave")
    reused = api.post("/api/v1/appointments", headers={"Idempotency-Key": "tap-1"}, json={
        "serviceId": other_service, "providerId": biz.provider_id, "clientId": biz.client_id,
        "startTime": "2025-03-24T12:00:00Z"})
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
    assert book(api, biz, "2025-03-24T11:00:00Z", key="bad key").status_code == 422
    assert 'slotline_bookings_total{channel="api"} 1.0' in api.get("/metrics").text


def test_an_idempotency_key_reused_for_another_time_is_422_even_after_a_move(api: TestClient):
    biz = make_business(api)
    first = created(book(api, biz, "2025-03-24T10:00:00Z", key="tap-2"))
    other_time = book(api, biz, "2025-03-24T11:00:00Z", key="tap-2")
    assert other_time.status_code == 422 and other_time.json()["code"] == "idempotency_key_reused"
    assert other_time.json()["detail"] == ("this Idempotency-Key was already used for a booking with another start "
                                           "time (it asked for 2025-03-24T10:00:00+00:00); send a new key for a new "
                                           "booking")
    same_instant = book(api, biz, "2025-03-24T11:00:00+01:00", key="tap-2")  # 10:00 UTC, written another way
    assert same_instant.status_code == 201 and same_instant.json()["id"] == first["id"]
    ok(api.put(f"/api/v1/appointments/{first['id']}", json={"startTime": "2025-03-24T14:00:00Z"}))
    retried = book(api, biz, "2025-03-24T10:00:00Z", key="tap-2")  # a late retry of the first request
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["id"] == first["id"] and at(retried.json()["startTime"]) == at("2025-03-24T14:00:00+00:00")
    assert book(api, biz, "2025-03-24T14:00:00Z", key="tap-2").status_code == 422  # what it is now was not asked
    assert [a["id"] for a in ok(api.get("/api/v1/appointments"))] == [first["id"]]


def test_unknown_ids_are_404(api: TestClient):
    biz = make_business(api)
    for path in ("/api/v1/appointments/999", "/api/v1/providers/999", "/api/v1/services/999", "/api/v1/users/999"):
        response = api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
        assert "999" in response.json()["detail"]
    assert book(api, biz, "2025-03-24T10:00:00Z", client_id=999).status_code == 404
    assert api.put("/api/v1/appointments/999", json={"startTime": "2025-03-24T10:00:00Z"}).status_code == 404
    assert api.delete("/api/v1/appointments/999").status_code == 404
    missing = api.get("/api/v1/providers/999/availability", params={"serviceId": biz.service_id,
                                                                    "startDate": MONDAY})
    assert missing.status_code == 404
    assert api.post("/api/v1/providers/999/time-off", json={
        "startTime": "2025-03-24T10:00:00Z", "endTime": "2025-03-24T12:00:00Z"}).status_code == 404


def test_bad_input_is_422_with_a_message_naming_the_field(api: TestClient):
    biz = make_business(api)
    naive = book(api, biz, "2025-03-24T10:00:00")
    assert naive.status_code == 422
    assert naive.json()["detail"].startswith("startTime: needs a time zone offset")
    assert naive.json()["errors"][0]["loc"] == ["body", "startTime"]
    garbage = book(api, biz, "next tuesday")
    assert garbage.status_code == 422
    assert garbage.json()["detail"].startswith("startTime: Input should be a valid datetime")
    missing = api.post("/api/v1/services", json={"name": "Massage"})
    assert missing.status_code == 422 and missing.json()["detail"] == "duration: Field required"
    zone = api.post("/api/v1/providers", json={"name": "Zed", "timezone": "America", "serviceIds": []})
    assert zone.status_code == 422 and "not a known IANA time zone" in zone.json()["detail"]
    day = api.post(f"/api/v1/providers/{biz.provider_id}/availability", json={
        "timeSlots": [{"dayOfWeek": 8, "startTime": "09:00", "endTime": "17:00"}]})
    assert day.status_code == 422 and day.json()["detail"].startswith("timeSlots.0.dayOfWeek:")
    backwards = api.post(f"/api/v1/providers/{biz.provider_id}/availability", json={
        "timeSlots": [{"dayOfWeek": 1, "startTime": "17:00", "endTime": "09:00"}]})
    assert backwards.status_code == 422 and "end after they start" in backwards.json()["detail"]
    malformed = api.post("/api/v1/appointments", content=b'{"serviceId": 1,', headers={
        "Content-Type": "application/json"})
    assert malformed.status_code == 400 and "not valid JSON" in malformed.json()["detail"]
    huge = api.get("/api/v1/appointments/99999999999999")
    assert huge.status_code == 422 and huge.json()["detail"].startswith("appointment_id:")
    nul = api.post("/api/v1/users", json={"name": "A\u0000B"})
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    for start in ("0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"):
        extreme = book(api, biz, start)
        assert extreme.status_code == 422
        assert extreme.json()["detail"] == "startTime: is out of range once converted to UTC"
    ancient = api.get("/api/v1/availability", params={"serviceId": biz.service_id, "startDate": "0001-01-01"})
    assert ancient.status_code == 422 and ancient.json()["detail"].startswith("startDate: must be between")
    unknown = api.post("/api/v1/users", json={"name": "Al", "emial": "al@example.com"})
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("emial: Extra inputs")


def test_times_the_core_refuses_are_422_with_its_reason(api: TestClient):
    biz = make_business(api)
    cases = {
        "2025-03-24T18:00:00Z": "outside_hours",  # after 17:00 London
        "2025-03-22T10:00:00Z": "outside_hours",  # a Saturday
        "2025-03-24T10:05:00Z": "outside_hours",  # off the 15-minute grid
        "2025-03-20T12:30:00Z": "too_soon",  # inside the hour's notice
        "2025-03-19T10:00:00Z": "too_soon",  # the past
        "2025-07-01T10:00:00Z": "too_far_ahead",
    }
    for start, code in cases.items():
        response = book(api, biz, start)
        assert response.status_code == 422, start
        assert response.json()["code"] == code and response.json()["detail"], start


def test_moving_marking_and_the_409s_of_changing_an_appointment(api: TestClient, clock):
    biz = make_business(api)
    appt = created(book(api, biz, "2025-03-24T10:00:00Z"))
    other = created(book(api, biz, "2025-03-24T12:00:00Z", client_id=make_client(api, "Cy")))
    path = f"/api/v1/appointments/{appt['id']}"
    onto = api.put(path, json={"startTime": "2025-03-24T12:15:00Z"})
    assert onto.status_code == 409 and onto.json()["code"] == "slot_taken"
    stale = api.put(path, json={"startTime": "2025-03-24T14:00:00Z", "version": 7})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert api.put(path, json={}).status_code == 422
    assert api.put(path, json={"startTime": "2025-03-24T14:00:00Z", "status": "completed"}).status_code == 422
    early = api.put(path, json={"status": "completed"})
    assert early.status_code == 422 and "before it starts" in early.json()["detail"]
    assert ok(api.put(path, json={"status": "confirmed"}))["status"] == "confirmed"
    clock.now = datetime.fromisoformat("2025-03-24T12:40:00+00:00")
    assert ok(api.put(f"/api/v1/appointments/{other['id']}", json={"status": "no_show"}))["status"] == "no_show"
    done = api.put(f"/api/v1/appointments/{other['id']}", json={"startTime": "2025-03-25T10:00:00Z"})
    assert done.status_code == 409 and done.json()["code"] == "not_active"


def test_moving_to_another_provider_keeps_the_time(api: TestClient):
    biz = make_business(api)
    second = make_provider(api, [biz.service_id], name="Bo")
    appt = created(book(api, biz, "2025-03-24T10:00:00Z"))
    moved = ok(api.put(f"/api/v1/appointments/{appt['id']}", json={"providerId": second}))
    assert moved["providerId"] == second and moved["startTime"] == appt["startTime"]
    barber = make_provider(api, [make_service(api, "Shave")], name="Cal")
    refused = api.put(f"/api/v1/appointments/{appt['id']}", json={"providerId": barber})
    assert refused.status_code == 422 and "does not offer" in refused.json()["detail"]


def test_cancelling_inside_the_window_is_allowed_but_marked_late(api: TestClient):
    biz = make_business(api)
    soon = created(book(api, biz, (NOW + timedelta(hours=2)).isoformat()))
    late = ok(api.delete(f"/api/v1/appointments/{soon['id']}"))
    assert late["status"] == "cancelled" and late["lateCancellation"] is True
    assert ok(api.delete(f"/api/v1/appointments/{soon['id']}"))["status"] == "cancelled"  # twice is fine
    again = api.put(f"/api/v1/appointments/{soon['id']}", json={"startTime": "2025-03-24T10:00:00Z"})
    assert again.status_code == 409 and again.json()["code"] == "not_active"
    rebooked = created(book(api, biz, (NOW + timedelta(hours=2)).isoformat(), client_id=make_client(api, "Cy")))
    assert rebooked["id"] != soon["id"]  # the cancelled time is free again


def test_users_and_providers_refuse_duplicates_with_409(api: TestClient):
    user = created(api.post("/api/v1/users", json={"name": "Di", "phone": "+44 20 7946 0958", "role": "provider",
                                                   "timezone": "Europe/London"}))
    assert user["phone"] == "+442079460958" and user["role"] == "provider"
    assert ok(api.get(f"/api/v1/users/{user['id']}"))["name"] == "Di"
    dup = api.post("/api/v1/users", json={"name": "Di again", "phone": "+442079460958"})
    assert dup.status_code == 409 and dup.json()["code"] == "already_exists"
    assert api.post("/api/v1/users", json={"name": "X", "phone": "12"}).status_code == 422
    assert api.post("/api/v1/users", json={"name": "X", "role": "owner"}).status_code == 422
    service = make_service(api)
    assert api.post("/api/v1/services", json={"name": "Haircut", "duration": 30}).status_code == 409
    created(api.post("/api/v1/providers", json={"name": "Ed", "timezone": "UTC", "serviceIds": [service, service],
                                                "userId": user["id"], "slackUserId": "U1"}))
    same_slack = api.post("/api/v1/providers", json={"name": "Flo", "timezone": "UTC", "slackUserId": "U1"})
    assert same_slack.status_code == 409 and same_slack.json()["code"] == "already_exists"


def test_time_off_and_date_overrides_shape_availability(api: TestClient):
    biz = make_business(api)
    base = f"/api/v1/providers/{biz.provider_id}"
    query = {"serviceId": biz.service_id, "startDate": MONDAY, "endDate": "2025-03-25"}
    off = created(api.post(f"{base}/time-off", json={"startTime": "2025-03-24T09:00:00+00:00",
                                                     "endTime": "2025-03-24T12:00:00+00:00", "reason": "dentist"}))
    assert off["reason"] == "dentist"
    override = ok(api.post(f"{base}/date-overrides", json={"date": "2025-03-25", "timeSlots": [
        {"startTime": "10:00", "endTime": "11:00"}]}))
    assert override["closed"] is False and override["date"] == "2025-03-25"
    free = starts(ok(api.get(f"{base}/availability", params=query)))
    monday = [s for s in free if s.date().isoformat() == MONDAY]
    tuesday = [s for s in free if s.date().isoformat() == "2025-03-25"]
    assert monday[0] == at("2025-03-24T12:00:00+00:00") and len(monday) == 19
    assert [s.strftime("%H:%M") for s in tuesday] == ["10:00", "10:15", "10:30"]
    closed = ok(api.post(f"{base}/date-overrides", json={"date": "2025-03-25", "timeSlots": []}))
    assert closed["closed"] is True
    assert all(s.date().isoformat() == MONDAY for s in starts(ok(api.get(f"{base}/availability", params=query))))
    wrong = api.post(f"{base}/time-off", json={"startTime": "2025-03-24T12:00:00Z", "endTime": "2025-03-24T09:00:00Z"})
    assert wrong.status_code == 422 and "end after it starts" in wrong.json()["detail"]


def test_any_provider_availability_names_the_provider(api: TestClient):
    biz = make_business(api)
    second = make_provider(api, [biz.service_id], name="Bo", tz="America/New_York")
    body = ok(api.get("/api/v1/availability", params={"serviceId": biz.service_id, "startDate": MONDAY}))
    assert {s["providerId"] for s in body["slots"]} == {biz.provider_id, second}
    first_of = {pid: next(s for s in body["slots"] if s["providerId"] == pid) for pid in (biz.provider_id, second)}
    assert first_of[second]["startTime"].endswith("-04:00")  # each provider's own zone by default
    assert at(first_of[second]["startTime"]) == at("2025-03-24T13:00:00+00:00")


def test_a_shared_room_cannot_be_double_booked_across_providers(api: TestClient):
    room = created(api.post("/api/v1/resources", json={"name": "Room 1"}))
    assert ok(api.get("/api/v1/resources")) == [{"id": room["id"], "name": "Room 1", "kind": "room"}]
    biz = make_business(api, resourceIds=[room["id"]])
    second = make_provider(api, [biz.service_id], name="Bo")
    created(book(api, biz, "2025-03-24T10:00:00Z"))
    busy = api.post("/api/v1/appointments", json={
        "serviceId": biz.service_id, "providerId": second, "clientId": make_client(api, "Cy"),
        "startTime": "2025-03-24T10:00:00Z"})
    assert busy.status_code == 409 and busy.json()["code"] == "resource_busy"

