"""Manage links: `GET /m/{token}` only shows; a POST confirms, cancels or moves that one appointment;
a tampered token is 403, one whose appointment is over 410. SMS carries the link where it fits."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from bots.sms.segments import segments
from core.notifications.links import BadLink, Links
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk  # noqa: F401  (fixtures)
from webhooks.app import create_app

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
MONDAY_TEN = at("Europe/London", 2027, 3, 29, 10)
TUESDAY_TEN = at("Europe/London", 2027, 3, 30, 10)


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


@pytest.fixture(name="web")
def web_fixture(desk):
    return TestClient(create_app(desk.container))


def path(desk, appointment_id: int, query: str = "") -> str:
    return urlsplit(desk.container.outbox.links.manage_url(appointment_id)).path + query


def state(desk, appointment_id: int) -> tuple[str, int, datetime]:
    appt = desk.container.booking.get(appointment_id)
    return appt.status, appt.version, appt.start_at


def test_the_page_shows_the_appointment_and_a_get_changes_nothing(desk, web):
    appt = desk.book(desk.client("Ana", "telegram", "5550001"), MONDAY_TEN)
    before = state(desk, appt.id)
    for query in ("", "?do=cancel", "?do=confirm", "?do=move", "?action=cancel"):
        page = web.get(path(desk, appt.id, query))
        assert page.status_code == 200
    assert "Haircut with Sam, Mon 29 Mar at 10:00 London time" in page.text
    assert page.text.count('method="post"') == 3 and "<script" not in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    cancel_first = web.get(path(desk, appt.id, "?do=cancel")).text
    assert cancel_first.index("Cancel appointment") < cancel_first.index(">Confirm<")
    assert state(desk, appt.id) == before


def test_a_post_cancel_cancels_exactly_that_appointment(desk, web):
    ana = desk.client("Ana", "telegram", "5550001")
    first, second = desk.book(ana, MONDAY_TEN), desk.book(ana, TUESDAY_TEN)
    done = web.post(path(desk, first.id), data={"action": "cancel"})
    assert done.status_code == 200 and "Cancelled" in done.text
    assert state(desk, first.id)[0] == "cancelled"
    assert state(desk, second.id)[:2] == ("confirmed", 1)
    again = web.get(path(desk, first.id))
    assert again.status_code == 200 and "This appointment is cancelled." in again.text and 'method="post"' not in again.text


def test_move_lists_free_times_as_post_buttons_and_moves_to_the_one_picked(desk, web):
    appt = desk.book(desk.client("Ana", "telegram", "5550001"), MONDAY_TEN)
    listed = web.post(path(desk, appt.id), data={"action": "move"})
    assert listed.status_code == 200 and "Pick a new time" in listed.text
    assert listed.text.count('name="action" value="moveto"') == 6
    assert state(desk, appt.id)[:2] == ("confirmed", 1)  # listing moves nothing
    moved = web.post(path(desk, appt.id), data={"action": "moveto", "start": TUESDAY_TEN.isoformat(), "version": "1"})
    assert moved.status_code == 200 and "Tue 30 Mar at 10:00" in moved.text
    assert state(desk, appt.id) == ("confirmed", 2, TUESDAY_TEN.astimezone(UTC))
    stale = web.post(path(desk, appt.id), data={"action": "moveto", "start": MONDAY_TEN.isoformat(), "version": "1"})
    assert stale.status_code == 409 and "Pick a new time" in stale.text  # the page was out of date: nothing moved
    assert state(desk, appt.id)[1] == 2


def test_confirm_is_a_post_too(desk, web):
    appt = desk.book(desk.client("Ana", "telegram", "5550001"), MONDAY_TEN)
    done = web.post(path(desk, appt.id), data={"action": "confirm"})
    assert done.status_code == 200 and "You're confirmed" in unescape(done.text)
    assert state(desk, appt.id)[0] == "confirmed"
    assert web.post(path(desk, appt.id), data={"action": "delete"}).status_code == 400


def test_a_tampered_token_is_403_and_another_appointments_is_refused(desk, web):
    ana = desk.client("Ana", "telegram", "5550001")
    first, second = desk.book(ana, MONDAY_TEN), desk.book(ana, TUESDAY_TEN)
    token = path(desk, first.id).removeprefix("/m/")
    number, signature = token.split(".")
    for forged in (f"{second.id}.{signature}", f"{number}.{signature[:-2]}xx", number, f"{number}.", "x" * 600):
        assert web.get(f"/m/{forged}").status_code == 403, forged
        assert web.post(f"/m/{forged}", data={"action": "cancel"}).status_code == 403
    assert {state(desk, a.id)[0] for a in (first, second)} == {"confirmed"}
    other_secret = Links("another-admin-token", "https://slotline.test").manage_token(first.id)
    assert web.get(f"/m/{other_secret}").status_code == 403


def test_a_link_is_gone_once_its_appointment_is_over(desk, web):
    appt = desk.book(desk.client("Ana", "telegram", "5550001"), MONDAY_TEN)
    desk.clock.now = appt.end_at - timedelta(minutes=1)
    assert web.get(path(desk, appt.id)).status_code == 200
    desk.clock.now = appt.end_at
    assert web.get(path(desk, appt.id)).status_code == 410
    assert web.post(path(desk, appt.id), data={"action": "cancel"}).status_code == 410
    assert state(desk, appt.id)[0] == "confirmed"


def test_an_sms_reminder_carries_the_link_within_two_segments(desk):
    bo = desk.client("Bo", "sms", "+442079460958")
    appt = desk.book(bo, MONDAY_TEN)
    desk.work()
    desk.at(datetime(2027, 3, 28, 9, 0, tzinfo=UTC))
    reminder = next(c.form["Body"] for c in desk.twilio.calls if c.form["Body"].startswith("Reminder"))
    assert "Reply C to confirm, X to cancel, R to move." in reminder
    assert reminder.endswith(desk.container.outbox.links.manage_url(appt.id))
    assert segments(reminder) <= 2


def test_links_read_back_what_they_sign():
    links = Links(lambda: "admin-token", "https://salon.example/")
    assert links.read_manage(links.manage_token(42)) == 42
    assert links.manage_url(42).startswith("https://salon.example/m/42.")
    assert links.read_unsubscribe(links.unsubscribe_token("Ana@Example.com")) == "ana@example.com"
    with pytest.raises(BadLink):
        links.read_unsubscribe(links.manage_token(42))  # each link is for its own purpose
    with pytest.raises(BadLink):
        links.read_manage("42.é" + "a" * 15)
    assert Links("t", None).manage_url(1) is None
