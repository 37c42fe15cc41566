"""Staff cancel many appointments at once: `POST /api/v1/appointments/cancel` with `ids` or a `clientId`.

Each cancellation is an ordinary one (the slot freed, the client told over their own channel);
one that cannot be cancelled is reported with the reason and the others still go.
Friday 26 March 2027, noon in London; Ana is on Telegram, Bo on SMS (tests/staff_helpers.py).
"""
from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from core.db.models import Provider
from core.db.session import UnitOfWork
from tests.staff_helpers import (  # noqa: F401  (fixtures)
    ANA_CHAT, BO_PHONE, desk_fixture, doubles_fixture, monday, sms_texts, staff_fixture, statuses, telegram_texts,
)

CANCEL = "/api/v1/appointments/cancel"


def test_cancelling_by_ids_reports_each_and_tells_each_client(desk, staff):
    ana, bo = desk.client("Ana", "telegram", ANA_CHAT), desk.client("Bo", "sms", BO_PHONE)
    first, second, gone = desk.book(ana, monday(10)), desk.book(bo, monday(11)), desk.book(ana, monday(14))
    desk.cancel(gone.id)
    desk.work()
    answer = staff.post(CANCEL, json={"ids": [first.id, second.id, gone.id, 999999, first.id],
                                      "cancellationReason": "the salon is flooded"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [a["id"] for a in body["cancelled"]] == [first.id, second.id]
    assert all(a["cancellationReason"] == "the salon is flooded" for a in body["cancelled"])
    assert body["notCancelled"] == [
        {"id": gone.id, "code": "already_cancelled", "detail": "it was already cancelled"},
        {"id": 999999, "code": "not_found", "detail": "appointment 999999 not found"},
    ]
    assert body["more"] is False
    assert statuses(desk) == {first.id: "cancelled", second.id: "cancelled", gone.id: "cancelled"}
    desk.work()
    assert telegram_texts(desk)[-1].startswith("Sorry, Test salon has had to cancel your Haircut with Sam")
    assert "Reason: the salon is flooded." in telegram_texts(desk)[-1]
    assert sms_texts(desk)[-1].startswith("Sorry, Test salon has had to cancel your Haircut with Sam")
    again = staff.post(CANCEL, json={"ids": [first.id]}).json()  # a retry changes and tells nothing more
    assert again["cancelled"] == [] and again["notCancelled"][0]["code"] == "already_cancelled"


def test_a_clients_coming_appointments_by_default_or_those_in_from_to(desk, staff):
    ana, bo = desk.client("Ana", "telegram", ANA_CHAT), desk.client("Bo", "sms", BO_PHONE)
    mon, tue, wed = (desk.book(ana, monday(10) + timedelta(days=n)) for n in range(3))
    bos = desk.book(bo, monday(11))
    only_tue = staff.post(CANCEL, json={"clientId": ana, "from": (monday(0) + timedelta(days=1)).isoformat(),
                                        "to": (monday(0) + timedelta(days=2)).isoformat()})
    assert [a["id"] for a in only_tue.json()["cancelled"]] == [tue.id]
    desk.clock.now = monday(12)  # Monday's is over: it is history, not to cancel
    rest = staff.post(CANCEL, json={"clientId": ana})
    assert rest.status_code == 200, rest.text
    assert [a["id"] for a in rest.json()["cancelled"]] == [wed.id] and rest.json()["notCancelled"] == []
    assert statuses(desk) == {mon.id: "confirmed", tue.id: "cancelled", wed.id: "cancelled", bos.id: "confirmed"}


def test_bad_requests_are_refused_with_a_message_and_cancel_nothing(desk, staff):
    ana = desk.client("Ana", "telegram", ANA_CHAT)
    appt = desk.book(ana, monday(10))
    for body, says in (
        ({"ids": list(range(1, 502))}, "ids: List should have at most 500 items"),
        ({"ids": []}, "ids: List should have at least 1 item"),
        ({}, "send either ids or clientId"),
        ({"ids": [appt.id], "clientId": ana}, "send either ids or clientId"),
        ({"ids": [appt.id], "from": monday(0).isoformat()}, "leave them out with ids"),
        ({"clientId": ana, "from": monday(12).isoformat(), "to": monday(9).isoformat()}, "to must be after from"),
        ({"ids": ["x"]}, "ids.0: Input should be a valid integer"),
    ):
        refused = staff.post(CANCEL, json=body)
        assert refused.status_code == 422 and says in refused.json()["detail"], (body, refused.text)
    unknown = staff.post(CANCEL, json={"clientId": 424242})
    assert unknown.status_code == 404 and unknown.json()["detail"] == "client 424242 not found"
    assert TestClient(staff.app).post(CANCEL, json={"ids": [appt.id]}).status_code == 401
    assert statuses(desk) == {appt.id: "confirmed"}


def test_the_route_does_not_clash_with_one_appointments_routes(desk, staff):
    appt = desk.book(desk.client("Ana", "telegram", ANA_CHAT), monday(10))
    assert staff.get(CANCEL).status_code in (405, 422)  # never read as an appointment id, never a 500
    assert staff.get(f"/api/v1/appointments/{appt.id}").json()["status"] == "confirmed"
    assert staff.delete(f"/api/v1/appointments/{appt.id}").json()["status"] == "cancelled"


def test_a_user_s_token_cancels_only_what_it_may_see_and_the_rest_is_not_found(desk, staff):
    """One request, several ids: those the token may not see are `not_found`, like an unknown id (never
    a 404 for the whole request, which would say they exist); the token's own are still cancelled."""
    ana, bo = desk.client("Ana", "telegram", ANA_CHAT), desk.client("Bo", "sms", BO_PHONE)
    anas, bos = desk.book(ana, monday(10)), desk.book(bo, monday(11))
    alexs = desk.book(bo, monday(14), provider=desk.salon.alex)
    sam_user = staff.post("/api/v1/users", json={"name": "Sam", "role": "provider"}).json()["id"]
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.get(Provider, desk.salon.sam).user_id = sam_user
        uow.commit()

    def with_token(user_id: int) -> TestClient:
        issued = staff.post("/api/v1/tokens", json={"userId": user_id}).json()["token"]
        return TestClient(staff.app, headers={"Authorization": f"Bearer {issued}"})

    body = with_token(ana).post(CANCEL, json={"ids": [bos.id, anas.id, 999999]}).json()
    assert [a["id"] for a in body["cancelled"]] == [anas.id]
    assert body["notCancelled"] == [
        {"id": bos.id, "code": "not_found", "detail": f"appointment {bos.id} not found"},
        {"id": 999999, "code": "not_found", "detail": "appointment 999999 not found"}]
    body = with_token(sam_user).post(CANCEL, json={"ids": [alexs.id, bos.id]}).json()
    assert [a["id"] for a in body["cancelled"]] == [bos.id]
    assert body["notCancelled"] == [{"id": alexs.id, "code": "not_found", "detail": f"appointment {alexs.id} not found"}]
    assert statuses(desk) == {anas.id: "cancelled", bos.id: "cancelled", alexs.id: "confirmed"}
