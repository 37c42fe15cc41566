"""`POST /api/v1/appointments/series` and `DELETE /api/v1/appointments/series/{id}` through the REST API.

The clock is Thursday 20 March 2025, noon UTC; London springs forward on Sunday 30 March, so a weekly
series from Thursday 27 March is 10:00 GMT once and 10:00 BST after.
"""
from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.api_helpers import (  # noqa: F401  (fixtures)
    api_fixture,
    clock_fixture,
    container_fixture,
    created,
    make_client,
    make_provider,
    make_service,
    ok,
)

SERIES = "/api/v1/appointments/series"


def salon(api: TestClient) -> dict:
    service = make_service(api, duration=45, bufferAfter=15)
    return {"service": service, "sam": make_provider(api, [service], name="Sam"),
            "alex": make_provider(api, [service], name="Alex"), "bea": make_client(api, "Bea"),
            "cy": make_client(api, "Cy")}


def series(api: TestClient, ids: dict, start: str, rule: str, **headers):
    return api.post(SERIES, headers=headers, json={
        "serviceId": ids["service"], "providerId": ids["sam"], "clientId": ids["bea"], "startTime": start,
        "recurrence": rule})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_weekly_series_of_four_with_one_week_taken_books_three_and_reports_it(api: TestClient):
    ids = salon(api)
    created(api.post("/api/v1/appointments", json={"serviceId": ids["service"], "providerId": ids["sam"],
                                                   "clientId": ids["cy"], "startTime": "2025-04-03T10:00:00+01:00"}))
    body = created(series(api, ids, "2025-03-27T10:00:00+00:00", "FREQ=WEEKLY;COUNT=4"))
    # 10:00 London each week: GMT before the change, BST after it.
    assert [utc(a["startTime"]) for a in body["booked"]] == [
        utc("2025-03-27T10:00:00Z"), utc("2025-04-10T09:00:00Z"), utc("2025-04-17T09:00:00Z")]
    assert {(a["seriesId"], a["status"], a["clientId"]) for a in body["booked"]} == {
        (body["seriesId"], "confirmed", ids["bea"])}
    [conflict] = body["conflicts"]
    assert utc(conflict["startTime"]) == utc("2025-04-03T09:00:00Z")
    assert conflict["code"] == "slot_taken" and conflict["detail"]
    assert [(utc(a["startTime"]), a["providerId"]) for a in conflict["alternatives"]] == [
        (utc("2025-04-03T09:00:00Z"), ids["alex"]),  # Alex at that very time
        (utc("2025-04-03T08:00:00Z"), ids["sam"]), (utc("2025-04-03T10:00:00Z"), ids["sam"])]
    one = ok(api.get(f"/api/v1/appointments/{body['booked'][0]['id']}"))
    assert one["seriesId"] == body["seriesId"]
    mine = ok(api.get("/api/v1/appointments", params={"clientId": ids["bea"]}))
    assert [a["seriesId"] for a in mine] == [body["seriesId"]] * 3


def test_a_series_with_nothing_free_is_still_201_with_every_conflict(api: TestClient):
    ids = salon(api)
    body = created(series(api, ids, "2025-03-22T10:00:00+00:00", "FREQ=WEEKLY;COUNT=2"))  # Saturdays: closed
    assert body["booked"] == []
    assert [c["code"] for c in body["conflicts"]] == ["outside_hours", "outside_hours"]
    assert all(c["alternatives"] for c in body["conflicts"])  # the weekdays around it


def test_cancelling_the_rest_of_a_series_leaves_the_earlier_occurrences(api: TestClient):
    ids = salon(api)
    body = created(series(api, ids, "2025-03-24T15:00:00+00:00", "FREQ=WEEKLY;COUNT=4"))
    gone = ok(api.request("DELETE", f"{SERIES}/{body['seriesId']}", params={"from": "2025-04-07T00:00:00+01:00"},
                          json={"cancellationReason": "moving away"}))
    assert [a["startTime"][:10] for a in gone["cancelled"]] == ["2025-04-07", "2025-04-14"]
    assert {a["cancellationReason"] for a in gone["cancelled"]} == {"moving away"}
    statuses = [(a["startTime"][:10], a["status"]) for a in ok(api.get("/api/v1/appointments",
                                                                         params={"clientId": ids["bea"]}))]
    assert statuses == [("2025-03-24", "confirmed"), ("2025-03-31", "confirmed"), ("2025-04-07", "cancelled"),
                        ("2025-04-14", "cancelled")]
    rest = ok(api.delete(f"{SERIES}/{body['seriesId']}"))  # without from: every one still to come
    assert [a["startTime"][:10] for a in rest["cancelled"]] == ["2025-03-24", "2025-03-31"]
    missing = api.delete(f"{SERIES}/{body['seriesId'] + 1000}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_one_occurrence_moves_and_cancels_like_any_appointment(api: TestClient):
    ids = salon(api)
    body = created(series(api, ids, "2025-03-24T15:00:00+00:00", "FREQ=WEEKLY;COUNT=3"))
    first, second, _third = (a["id"] for a in body["booked"])
    moved = ok(api.put(f"/api/v1/appointments/{second}", json={"startTime": "2025-04-01T11:00:00+01:00"}))
    assert (moved["seriesId"], utc(moved["startTime"])) == (body["seriesId"], utc("2025-04-01T10:00:00Z"))
    assert ok(api.delete(f"/api/v1/appointments/{first}"))["status"] == "cancelled"
    left = [a for a in ok(api.get("/api/v1/appointments", params={"clientId": ids["bea"]}))
            if a["status"] == "confirmed"]
    assert [a["id"] for a in left] == [second, _third]


def test_a_bad_rrule_is_422_with_a_message(api: TestClient):
    ids = salon(api)
    for rule, words in (("FREQ=WEEKLY;COUNT=many", "not a valid RRULE"), ("every week", "FREQ=DAILY, WEEKLY"),
                        ("FREQ=MINUTELY;COUNT=5", "FREQ=DAILY, WEEKLY"), ("FREQ=DAILY;COUNT=53", "at most 52"),
                        ("FREQ=WEEKLY", "runs past"), ("FREQ=WEEKLY;COUNT=20", "runs past")):
        response = series(api, ids, "2025-03-24T15:00:00+00:00", rule)
        assert response.status_code == 422, (rule, response.text)
        assert words in response.json()["detail"], (rule, response.json())
        assert response.json()["code"] in ("invalid_recurrence", "series_too_long")
    missing = api.post(SERIES, json={"serviceId": ids["service"], "providerId": ids["sam"], "clientId": ids["bea"],
                                     "startTime": "2025-03-24T15:00:00+00:00"})
    assert missing.status_code == 422 and "recurrence" in missing.json()["detail"]
    assert ok(api.get("/api/v1/appointments")) == []  # nothing booked by any of them


def test_the_same_idempotency_key_replays_the_series(api: TestClient):
    ids = salon(api)
    first = series(api, ids, "2025-03-24T15:00:00+00:00", "FREQ=WEEKLY;COUNT=2", **{"Idempotency-Key": "s-1"})
    again = series(api, ids, "2025-03-24T15:00:00+00:00", "FREQ=WEEKLY;COUNT=2", **{"Idempotency-Key": "s-1"})
    assert created(again) == created(first) and again.headers["Idempotent-Replayed"] == "true"
    other = series(api, ids, "2025-03-25T15:00:00+00:00", "FREQ=WEEKLY;COUNT=2", **{"Idempotency-Key": "s-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert len(ok(api.get("/api/v1/appointments"))) == 2


def test_an_unknown_provider_or_client_is_404_and_books_nothing(api: TestClient):
    ids = salon(api)
    unknown = api.post(SERIES, json={"serviceId": ids["service"], "providerId": 999, "clientId": ids["bea"],
                                     "startTime": "2025-03-24T15:00:00+00:00", "recurrence": "FREQ=WEEKLY;COUNT=2"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    nobody = api.post(SERIES, json={"serviceId": ids["service"], "providerId": ids["sam"], "clientId": 999,
                                    "startTime": "2025-03-24T15:00:00+00:00", "recurrence": "FREQ=WEEKLY;COUNT=2"})
    assert nobody.status_code == 404 and "client" in nobody.json()["detail"]
    assert ok(api.get("/api/v1/appointments")) == []
