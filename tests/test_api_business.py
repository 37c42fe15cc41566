"""Policies over REST: `GET`/`PATCH /api/v1/business`, `needsApproval` on services, approving and declining a
request (`POST /api/v1/appointments/{id}/approve|decline`), a client's record on `GET /api/v1/users/{id}`,
and the per-client cap refusing the next booking.

The clock is Thursday 20 March 2025, 12:00 UTC (tests/api_helpers.py); Ana works 09:00-17:00 London time.
"""
from __future__ import annotations

from datetime import UTC, datetime

from tests.api_helpers import (  # noqa: F401  (fixtures)
    api_fixture, book, clock_fixture, container_fixture, created, make_business, make_client, ok,
)

MONDAY_TEN = "2025-03-24T10:00:00+00:00"


def test_business_policies_are_read_and_changed_together(api):
    shown = ok(api.get("/api/v1/business"))
    assert {k: shown[k] for k in ("minNoticeMinutes", "horizonDays", "cancellationWindowHours",
                                  "maxFutureBookings", "noShowLimit", "approvalExpiryHours")} == {
        "minNoticeMinutes": 60, "horizonDays": 60, "cancellationWindowHours": 24, "maxFutureBookings": None,
        "noShowLimit": None, "approvalExpiryHours": 24}
    assert "waitlistOfferMinutes" in shown and "timezone" in shown
    changed = ok(api.patch("/api/v1/business", json={
        "noShowLimit": 2, "maxFutureBookings": 3, "approvalExpiryHours": 12, "contact": "020 7946 0958"}))
    assert (changed["noShowLimit"], changed["maxFutureBookings"], changed["approvalExpiryHours"],
            changed["contact"], changed["horizonDays"]) == (2, 3, 12, "020 7946 0958", 60)
    assert ok(api.get("/api/v1/business")) == changed
    assert ok(api.patch("/api/v1/business", json={"noShowLimit": None}))["noShowLimit"] is None  # rule off


def test_bad_policy_values_are_422_naming_the_field_and_change_nothing(api):
    before = ok(api.get("/api/v1/business"))
    for body, words in (({"horizonDays": 0}, "horizonDays: Input should be greater than or equal to 1"),
                        ({"noShowLimit": 101}, "noShowLimit: Input should be less than or equal to 100"),
                        ({"approvalExpiryHours": None}, "approvalExpiryHours cannot be null"),
                        ({"minNoticeMinutes": "soon"}, "minNoticeMinutes: Input should be a valid integer"),
                        ({"timezone": "Europe/Paris"}, "timezone: Extra inputs are not permitted"),
                        ({"horizonDays": 90, "maxFutureBookings": -1}, "maxFutureBookings")):
        response = api.patch("/api/v1/business", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_error" and words in response.json()["detail"], response.text
    assert ok(api.get("/api/v1/business")) == before
    assert api.get("/api/v1/business", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_service_needing_approval_is_booked_as_a_request_an_admin_approves(api):
    biz = make_business(api, needsApproval=True)
    service = ok(api.get(f"/api/v1/services/{biz.service_id}"))
    assert service["needsApproval"] is True
    request = created(book(api, biz, MONDAY_TEN))
    assert request["status"] == "pending"
    taken = book(api, biz, MONDAY_TEN, client_id=make_client(api, "Cy"))
    assert taken.status_code == 409 and taken.json()["code"] == "slot_taken"  # the request holds the slot
    approved = ok(api.post(f"/api/v1/appointments/{request['id']}/approve"))
    assert approved["status"] == "confirmed"
    again = api.post(f"/api/v1/appointments/{request['id']}/decline")
    assert again.status_code == 409 and again.json()["code"] == "not_pending", again.text
    assert ok(api.patch(f"/api/v1/services/{biz.service_id}", json={"needsApproval": False}))["needsApproval"] is False
    assert created(book(api, biz, "2025-03-24T11:00:00+00:00"))["status"] == "confirmed"


def test_a_declined_request_frees_its_slot_for_another_client(api):
    biz = make_business(api, needsApproval=True)
    request = created(book(api, biz, MONDAY_TEN))
    declined = ok(api.post(f"/api/v1/appointments/{request['id']}/decline",
                           json={"cancellationReason": "Fully booked that morning"}))
    assert (declined["status"], declined["lateCancellation"]) == ("cancelled", False)
    other = created(book(api, biz, MONDAY_TEN, client_id=make_client(api, "Cy")))
    assert other["startTime"].startswith("2025-03-24T10:00")
    missing = api.post("/api/v1/appointments/999999/approve")
    assert missing.status_code == 404


def test_a_users_no_shows_and_late_cancellations_are_counted(api, clock):
    biz = make_business(api)
    user = ok(api.get(f"/api/v1/users/{biz.client_id}"))
    assert (user["noShows"], user["lateCancellations"]) == (0, 0)
    missed = created(book(api, biz, "2025-03-21T09:00:00+00:00"))
    late = created(book(api, biz, "2025-03-21T10:00:00+00:00"))
    assert api.delete(f"/api/v1/appointments/{late['id']}").json()["lateCancellation"] is True
    clock.now = datetime(2025, 3, 21, 9, 30, tzinfo=UTC)
    ok(api.put(f"/api/v1/appointments/{missed['id']}", json={"status": "no_show"}))
    user = ok(api.get(f"/api/v1/users/{biz.client_id}"))
    assert (user["noShows"], user["lateCancellations"]) == (1, 1)


def test_the_per_client_cap_refuses_the_next_booking_and_the_no_show_rule_spares_the_business(api, clock):
    biz = make_business(api)
    missed = created(book(api, biz, "2025-03-21T09:00:00+00:00"))
    clock.now = datetime(2025, 3, 21, 9, 30, tzinfo=UTC)
    ok(api.put(f"/api/v1/appointments/{missed['id']}", json={"status": "no_show"}))
    ok(api.patch("/api/v1/business", json={"maxFutureBookings": 1, "noShowLimit": 1}))
    created(book(api, biz, MONDAY_TEN))  # booked by the business (admin): the no-show rule is the chat's
    refused = book(api, biz, "2025-03-24T11:00:00+00:00")
    assert refused.status_code == 409 and refused.json()["code"] == "booking_limit"
    assert refused.json()["detail"].startswith("you already have 1 upcoming booking, and 1 at a time is the most")
