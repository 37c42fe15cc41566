"""Services that need approval: a booking is a request (pending, holding its slot) until the provider answers
in Slack; the client hears either way over their own channel, and a request nobody answers lapses.

Thursday 25 March 2027, noon in London. Sam works in Slack (U0SAM); Ana talks to Slotline on Telegram,
Bea on the web chat. The Haircut needs approval; the business lets a request wait 24 hours.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

import worker
from core.booking.commands import Book, Cancel
from core.booking.errors import NotActive, SlotTaken
from core.db.models import Appointment, Service
from core.db.session import UnitOfWork
from tests.doubles.slack_api import SIGNING_SECRET, SlackWorkspace
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk  # noqa: F401  (fixtures)
from webhooks.app import create_app

NOW = datetime(2027, 3, 25, 12, 0, tzinfo=UTC)
LONDON = "Europe/London"
ANA_CHAT = 5550001
MONDAY_TEN = at(LONDON, 2027, 3, 29, 10)


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    for desk in make_desk(engine, redis_client, tmp_path, doubles, NOW):
        with UnitOfWork(desk.container.session_factory, write=True) as uow:
            uow.session.get(Service, desk.salon.haircut).needs_approval = True
            uow.commit()
        desk.link_provider_slack(desk.salon.sam, "U0SAM")
        yield desk


@pytest.fixture(name="slack")
def slack_fixture(desk) -> Iterator[SlackWorkspace]:
    with TestClient(create_app(desk.container)) as http:
        yield SlackWorkspace(http, SIGNING_SECRET, desk.slack)


def status(desk, appointment_id: int) -> str:
    with UnitOfWork(desk.container.session_factory) as uow:
        return uow.session.get(Appointment, appointment_id).status


def last_text(desk) -> str:
    message = desk.telegram.last_message(ANA_CHAT)
    return message.get("text") or message.get("caption") or ""


def request(desk):
    """Ana asks for Monday 10:00; the worker tells her it is a request and asks Sam in Slack."""
    ana = desk.client("Ana", "telegram", str(ANA_CHAT))
    appt = desk.book(ana, MONDAY_TEN)
    assert appt.status == "pending"
    desk.work()
    asked = desk.slack.wait_for("chat.postMessage", containing="New request")
    return appt, asked


def test_a_request_is_pending_until_the_provider_approves_it_in_slack(desk, slack):
    appt, asked = request(desk)
    told = last_text(desk)
    assert told.startswith("Requested: Haircut with Sam, Mon 29 Mar at 10:00 London time.")
    assert "isn't confirmed yet" in told and "(by tomorrow (Fri 26 Mar) at 12:00 at the latest)" in told
    assert asked.params["channel"] == "D0SAM"
    assert "Ana asks for a Haircut on Mon 29 Mar" in asked.params["text"]
    assert [b["text"]["text"] for b in asked.buttons()] == ["Approve", "Decline"]
    assert desk.notifications(kind="reminder") == []  # reminders wait for the approval
    with pytest.raises(SlotTaken):  # the request holds its slot
        desk.book(desk.client("Bea", "web", "web-bea"), MONDAY_TEN)

    slack.click("U0SAM", asked, "Approve")
    done = desk.slack.wait_for("chat.update", containing="Approved Ana's Haircut")
    assert done.params["ts"] == asked.result["ts"] and "I'll tell Ana on Telegram." in done.params["text"]
    assert not [b for b in done.params["blocks"] if b["type"] == "actions"]  # nothing left to press
    assert status(desk, appt.id) == "confirmed"
    desk.work()
    assert last_text(desk).startswith(
        "Confirmed! Test salon has approved your Haircut with Sam, Mon 29 Mar at 10:00 London time.")
    assert desk.notifications(kind="reminder", status="scheduled")  # now it is reminded like any booking


def test_a_declined_request_frees_the_slot_and_the_client_hears_kindly(desk, slack):
    appt, asked = request(desk)
    slack.click("U0SAM", asked, "Decline")
    desk.slack.wait_for("chat.update", containing="the time is free again")
    assert status(desk, appt.id) == "cancelled"
    desk.work()
    message = desk.telegram.last_message(ANA_CHAT)
    assert message["text"].startswith("Sorry, Test salon can't take your request for a Haircut with Sam, "
                                      "Mon 29 Mar at 10:00 London time, so it isn't booked.")
    assert [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row] == ["Book another time"]
    bea = desk.book(desk.client("Bea", "web", "web-bea"), MONDAY_TEN)  # another client books it
    assert bea.start_at == appt.start_at
    slack.click("U0SAM", asked, "Approve")  # a second press on the old message is refused, kindly
    refused = desk.slack.wait_for("chat.postMessage", containing="closed already")
    assert "it was declined or withdrawn" in refused.text


def test_an_unanswered_request_lapses_at_its_time_and_frees_the_slot(desk):
    appt, _asked = request(desk)
    lapse = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # 24 hours after it was made
    assert desk.scheduled("slotline-expire-request") == {f"slotline-expire-request-{appt.id}": lapse}
    desk.at(datetime(2027, 3, 26, 11, 59, tzinfo=UTC))
    assert status(desk, appt.id) == "pending"
    desk.at(lapse)  # the worker's job runs
    assert status(desk, appt.id) == "cancelled"
    desk.work()
    assert last_text(desk).startswith(
        "Sorry, Test salon couldn't answer your request for a Haircut with Sam, Mon 29 Mar at 10:00 London time "
        "in time, so it isn't booked.")
    assert desk.book(desk.client("Bea", "web", "web-bea"), MONDAY_TEN).status == "pending"


def test_a_request_whose_job_was_lost_lapses_by_the_sweep_and_a_late_approval_is_refused(desk):
    appt, _asked = request(desk)
    desk.jobs.cancel(f"slotline-expire-request-{appt.id}")  # Redis lost it
    desk.clock.now = datetime(2027, 3, 26, 13, 0, tzinfo=UTC)
    with pytest.raises(NotActive, match="lapsed unanswered"):  # too late to approve: it lapses instead
        desk.container.provider_day.approvals.approve(appt.id)
    assert status(desk, appt.id) == "cancelled"
    other = desk.book(desk.client("Bea", "web", "web-bea"), at(LONDON, 2027, 3, 29, 14))
    desk.clock.now = datetime(2027, 3, 27, 13, 0, tzinfo=UTC)
    assert worker.run_expire_requests() == [other.id]  # what the sweep runs too


def test_a_request_lapses_at_its_start_when_that_is_sooner(desk):
    ana = desk.client("Ana", "telegram", str(ANA_CHAT))
    soon = desk.book(ana, at(LONDON, 2027, 3, 25, 15))  # three hours from now
    with UnitOfWork(desk.container.session_factory) as uow:
        assert uow.session.get(Appointment, soon.id).request_expires_at == datetime(2027, 3, 25, 15, 0, tzinfo=UTC)


def test_the_client_cannot_confirm_their_own_request_and_can_withdraw_it(desk):
    appt, asked = request(desk)
    from core.booking.commands import SetStatus

    with pytest.raises(NotActive, match="awaiting the business's approval"):
        desk.container.booking.set_status(SetStatus(appt.id, "confirmed", actor="client"))
    desk.container.booking.cancel(Cancel(appt.id, actor="client"))
    desk.work()
    assert desk.slack.wait_for("chat.postMessage", containing="Ana cancelled their Haircut")
    assert desk.container.booking.book(Book(desk.salon.haircut, desk.salon.sam, appt.client_id, MONDAY_TEN))[0]
