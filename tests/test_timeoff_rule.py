"""Time off over appointments: refused with 409 listing them, or, when asked, each one cancelled and
its client told over their own channel. The same rule answers Slack's `/block` (tests/test_slack_agenda.py).

Friday 26 March 2027, noon in London. Ana talks to Slotline on Telegram, Bo by SMS; both have a
Haircut with Sam on Monday morning.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.db.models import TimeOff
from tests.staff_helpers import (  # noqa: F401  (fixtures)
    ANA_CHAT, BO_PHONE, desk_fixture, doubles_fixture, monday, sms_texts, staff_fixture, statuses, telegram_texts,
)


def time_off(staff, desk, start: datetime, end: datetime, **extra):
    return staff.post(f"/api/v1/providers/{desk.salon.sam}/time-off", json={
        "startTime": start.isoformat(), "endTime": end.isoformat(), **extra})


def time_offs(desk) -> list[TimeOff]:
    with desk.container.session_factory() as s:
        return list(s.scalars(select(TimeOff)))


def morning(desk):
    """Ana at 10:00 and Bo at 11:00 on Monday, both with Sam; their confirmations sent."""
    ana, bo = desk.client("Ana", "telegram", ANA_CHAT), desk.client("Bo", "sms", BO_PHONE)
    booked = desk.book(ana, monday(10)), desk.book(bo, monday(11))
    desk.work()
    return booked


def test_time_off_over_appointments_is_409_listing_them_and_changes_nothing(desk, staff):
    ana, bo = morning(desk)
    refused = time_off(staff, desk, monday(9), monday(13), reason="dentist")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "appointments_in_the_way"
    assert "covers 2 appointments" in body["detail"]
    assert body["appointments"] == [
        {"id": ana.id, "startTime": "2027-03-29T09:00:00Z", "endTime": "2027-03-29T09:45:00Z",
         "confirmationCode": ana.confirmation_code},
        {"id": bo.id, "startTime": "2027-03-29T10:00:00Z", "endTime": "2027-03-29T10:45:00Z",
         "confirmationCode": bo.confirmation_code},
    ]  # what an admin reading the agenda sees; no names, phones or chats
    assert time_offs(desk) == [] and set(statuses(desk).values()) == {"confirmed"}
    desk.work()
    assert not any("cancel" in t for t in telegram_texts(desk) + sms_texts(desk))


def test_asked_to_cancel_them_each_client_is_told_with_the_reason(desk, staff):
    ana, bo = morning(desk)
    done = time_off(staff, desk, monday(9), monday(13), reason="dentist", cancelAppointments=True,
                    cancellationReason="Sam is unwell")
    assert done.status_code == 201, done.text
    body = done.json()
    assert [a["id"] for a in body["cancelled"]] == [ana.id, bo.id] and body["notCancelled"] == []
    assert {a["status"] for a in body["cancelled"]} == {"cancelled"}
    assert body["reason"] == "dentist"
    assert statuses(desk) == {ana.id: "cancelled", bo.id: "cancelled"}
    [off] = time_offs(desk)
    assert (off.start_at, off.end_at) == (monday(9), monday(13))

    desk.work()
    told_ana = telegram_texts(desk)[-1]
    assert told_ana.startswith("Sorry, Test salon has had to cancel your Haircut with Sam, Mon 29 Mar "
                               "at 10:00 London time. Reason: Sam is unwell.")
    assert sms_texts(desk)[-1].startswith("Sorry, Test salon has had to cancel your Haircut with Sam")
    assert "dentist" not in told_ana  # the time off's own note stays with staff
    free = staff.get(f"/api/v1/providers/{desk.salon.sam}/availability", params={
        "serviceId": desk.salon.haircut, "startDate": "2027-03-29"}).json()["slots"]
    assert free and all(datetime.fromisoformat(s["startTime"]) >= monday(13) for s in free)


def test_time_off_clear_of_active_appointments_is_saved_at_once(desk, staff):
    ana, bo = morning(desk)
    desk.cancel(bo.id)
    beside = time_off(staff, desk, monday(10, 45), monday(12))  # Ana's ends as it starts; Bo's is cancelled
    assert beside.status_code == 201, beside.text
    assert beside.json()["cancelled"] == [] and len(time_offs(desk)) == 1
    assert statuses(desk)[ana.id] == "confirmed"


def test_the_request_is_checked_before_the_rule(desk, staff):
    morning(desk)
    backwards = time_off(staff, desk, monday(13), monday(9))
    assert backwards.status_code == 422 and "end after it starts" in backwards.json()["detail"]
    typo = time_off(staff, desk, monday(9), monday(13), cancelAppointment=True)
    assert typo.status_code == 422 and "cancelAppointment" in typo.json()["detail"]
    assert time_offs(desk) == [] and set(statuses(desk).values()) == {"confirmed"}
