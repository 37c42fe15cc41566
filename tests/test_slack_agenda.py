"""Slack, the provider side: /agenda, the App Home and the buttons on each appointment.

Sam works in New York while the business is in London; it is Monday 30 November 2026,
08:00 UTC (03:00 in New York). Sam has a Haircut at 10:00 with Client 0, who talks to
Slotline on Slack, and one at 14:00 with Client 1, who only ever used the web chat.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import delete

import worker

from core.booking import setup_writes
from core.booking.commands import Book
from core.db.models import ChannelIdentity, Provider, TimeOff, User
from core.db.session import UnitOfWork
from tests.chat_helpers import appointments, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.slack_api import (  # noqa: F401  (fixtures)
    sample,
    slack_api_fixture,
    slack_container_fixture,
    slack_fixture,
)
from tests.factories import at

NY = "America/New_York"
SAM, ALEX, CLIENT_ON_SLACK = "U0SAM", "U0ALEX", "U0CLIENT1"


@pytest.fixture(name="day")
def day_fixture(slack_container, salon, session_factory):
    with UnitOfWork(session_factory, write=True) as uow:
        s = uow.session
        sam = s.get(Provider, salon.sam)
        sam.timezone, sam.slack_user_id, sam.schedule_version = NY, SAM, sam.schedule_version + 1
        setup_writes.link_identity(s, user_id=salon.clients[0], channel="slack", external_id=CLIENT_ON_SLACK)
        setup_writes.link_identity(s, user_id=salon.clients[1], channel="web", external_id="web-session-1")
        s.get(User, salon.clients[0]).preferred_channel = "slack"
        uow.commit()

    def book(client: int, hour: int, day: int = 30, month: int = 11):
        return slack_container.booking.book(Book(salon.haircut, salon.sam, client, at(NY, 2026, month, day, hour)))[0]
    return SimpleNamespace(morning=book(salon.clients[0], 10), afternoon=book(salon.clients[1], 14), book=book)


def agenda(slack, slack_api, text: str = "", user: str = SAM, expect: str = "·"):
    before = len(slack_api.calls_to("response_url"))
    assert slack.command(user, "/agenda", text).status_code == 200
    return slack_api.wait_for("response_url", containing=expect,
                              where=lambda c: c in slack_api.calls_to("response_url")[before:])


def test_agenda_shows_the_providers_day_in_their_own_zone(slack, slack_api, day):
    today = agenda(slack, slack_api)
    assert today.params["response_type"] == "ephemeral"
    assert "Today (Mon 30 Nov) · New York time" in today.text
    assert "*10:00–10:45*  Haircut · Client 0 · _confirmed_" in today.text
    assert "*14:00–14:45*  Haircut · Client 1 · _confirmed_" in today.text
    assert "15:00" not in today.text  # London's wall clock is not Sam's
    assert [b["text"]["text"] for b in today.buttons()][:4] == ["Completed", "No-show", "Running late", "Cancel"]
    tomorrow = agenda(slack, slack_api, "tomorrow")
    assert "Tomorrow (Tue 1 Dec) · New York time" in tomorrow.text and "Nothing booked." in tomorrow.text
    unclear = agenda(slack, slack_api, "whenever", expect="couldn't tell which day")
    assert "/agenda tomorrow" in unclear.text


def test_completed_and_no_show_change_the_row_and_the_agenda(slack, slack_api, day, clock, session_factory):
    shown = agenda(slack, slack_api)
    slack.click(SAM, shown, "Completed", value=day.morning.id)  # at 03:00 New York time: too early
    slack_api.wait_for("response_url", containing="cannot be marked completed before it starts")
    clock.now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 15:00 in New York: both have started
    slack.click(SAM, shown, "Completed", value=day.morning.id)
    refreshed = slack_api.wait_for("response_url", containing="Client 0 · _completed ✓_")
    assert refreshed.params["replace_original"] is True
    slack.click(SAM, refreshed, "No-show", value=day.afternoon.id)
    slack_api.wait_for("response_url", containing="Client 1 (1 no-show) · _no-show_")  # their record shows
    assert [a.status for a in appointments(session_factory)] == ["completed", "no_show"]


def test_running_late_tells_a_slack_client_over_slack(slack, slack_api, day):
    slack.click(SAM, agenda(slack, slack_api), "Running late", value=day.morning.id)
    modal = slack_api.wait_for("views.open")
    assert modal.params["trigger_id"] and modal.params["view"]["callback_id"] == "slotline_running_late"
    assert slack.submit(SAM, modal, {"minutes": "10"}).status_code == 200
    told = slack_api.wait_for("chat.postMessage", containing="running about 10 minutes late")
    assert slack_api.calls_to("conversations.open")[0].params["users"] == CLIENT_ON_SLACK
    assert told.params["channel"] == "D0CLIENT1"
    assert "Sam is running about 10 minutes late for your Haircut today (Mon 30 Nov) at 10:00 (New York time)" \
        in told.params["text"]
    slack_api.wait_for("response_url", containing="I told Client 0 on Slack.")


def test_running_late_for_a_web_chat_client_waits_in_their_web_chat(slack, slack_api, day, slack_container):
    slack.click(SAM, agenda(slack, slack_api), "Running late", value=day.afternoon.id)
    slack.submit(SAM, slack_api.wait_for("views.open"), {"minutes": "15"})
    slack_api.wait_for("response_url", containing="I told Client 1 on the web chat.")
    [told], _ = slack_container.senders["web"].inbox.read("web-session-1")  # the page polls it
    assert "Sam is running about 15 minutes late for your Haircut" in told["text"]


def test_running_late_for_a_client_slotline_cannot_reach_is_said_to_the_provider(slack, slack_api, day,
                                                                                  session_factory, salon):
    with UnitOfWork(session_factory, write=True) as uow:  # booked for them by the API: no channel at all
        uow.session.execute(delete(ChannelIdentity).where(ChannelIdentity.user_id == salon.clients[1]))
        uow.commit()
    slack.click(SAM, agenda(slack, slack_api), "Running late", value=day.afternoon.id)
    slack.submit(SAM, slack_api.wait_for("views.open"), {"minutes": "15"})
    slack_api.wait_for("response_url", containing="I couldn't tell Client 1")
    assert slack_api.calls_to("chat.postMessage") == []


def test_cancel_with_a_reason_frees_the_slot_and_tells_the_client(slack, slack_api, day, slack_container, salon,
                                                                   session_factory):
    slack.click(SAM, agenda(slack, slack_api), "Cancel", value=day.morning.id)
    modal = slack_api.wait_for("views.open")
    assert modal.params["view"]["callback_id"] == "slotline_cancel"
    slack.submit(SAM, modal, {"reason": "I'm unwell today"})
    slack_api.wait_for("response_url", containing="Client 0 · _cancelled_")
    slack_api.wait_for("response_url", containing="I'll tell Client 0 on Slack.")
    work(slack_container)  # the client is told as for any cancellation by the business
    told = slack_api.wait_for("chat.postMessage", containing="has had to cancel")
    assert told.params["channel"] == "D0CLIENT1" and "Reason: I'm unwell today." in told.params["text"]
    assert told.params["text"].startswith("Sorry, Test salon has had to cancel your Haircut with Sam, today")
    row = appointments(session_factory, id=day.morning.id)[0]
    assert (row.status, row.cancellation_reason) == ("cancelled", "I'm unwell today")
    again = day.book(salon.clients[2], 10)  # the slot is free again
    assert again.start_at == row.start_at and again.status == "confirmed"


def test_cancel_for_a_client_slotline_cannot_reach_says_how_to_reach_them(slack, slack_api, day, session_factory,
                                                                          salon):
    with UnitOfWork(session_factory, write=True) as uow:
        uow.session.execute(delete(ChannelIdentity).where(ChannelIdentity.user_id == salon.clients[1]))
        uow.session.get(User, salon.clients[1]).email = None
        uow.session.get(User, salon.clients[1]).phone = "+442079460958"
        uow.commit()
    slack.click(SAM, agenda(slack, slack_api), "Cancel", value=day.afternoon.id)
    slack.submit(SAM, slack_api.wait_for("views.open"), {"reason": "I'm unwell today"})
    refused = slack_api.wait_for("response_url", containing="I couldn't tell Client 1")
    assert "you can reach them at +442079460958" in refused.text
    assert appointments(session_factory, id=day.afternoon.id)[0].status == "cancelled"


def work(container) -> None:
    """Run the jobs the worker would (an event's notices), in this process, until none is left."""
    worker.install(container)
    try:
        SimpleWorker([Queue(worker.QUEUE, connection=container.redis)], connection=container.redis).work(burst=True)
    finally:
        worker.install(None)


def test_another_providers_appointment_cannot_be_touched(slack, slack_api, day, session_factory, salon):
    with UnitOfWork(session_factory, write=True) as uow:
        uow.session.get(Provider, salon.alex).slack_user_id = ALEX
        uow.commit()
    slack.click(ALEX, agenda(slack, slack_api), "Cancel", value=day.morning.id)
    slack_api.wait_for("response_url", containing="not one of yours")
    assert slack_api.calls_to("views.open") == []


def test_a_failure_after_the_ack_is_told_not_swallowed(slack, slack_api, day):
    slack_api.fail("views.open", "expired_trigger_id")  # the provider's click took Slack too long to pass on
    slack.click(SAM, agenda(slack, slack_api), "Cancel", value=day.morning.id)
    sorry = slack_api.wait_for("chat.postMessage", containing="something went wrong")
    assert sorry.params["channel"] == SAM


def test_a_provider_found_by_email_is_remembered(slack, slack_api, day, session_factory, salon):
    with UnitOfWork(session_factory, write=True) as uow:
        uow.session.get(Provider, salon.alex).email = "alex@salon.example"
        uow.commit()
    slack_api.add_user(ALEX, name="Alex Doe", email="Alex@Salon.example")
    shown = agenda(slack, slack_api, user=ALEX)
    assert "Today (Mon 30 Nov) · London time" in shown.text and "Nothing booked." in shown.text
    with session_factory() as s:
        assert s.get(Provider, salon.alex).slack_user_id == ALEX
    agenda(slack, slack_api, "tomorrow", user=ALEX)
    assert [c.params["user"] for c in slack_api.calls_to("users.info")] == [ALEX]  # looked up once only


def test_someone_who_is_not_a_provider_gets_a_polite_explanation(slack, slack_api, day):
    slack_api.add_user("U0STAFF", name="Casey Staff", email="casey@company.example")
    answer = agenda(slack, slack_api, user="U0STAFF", expect="providers only")
    assert "just send me a message" in answer.text


def block(slack, slack_api, text: str, expect: str):
    slack.command(SAM, "/block", text)
    return slack_api.wait_for("response_url", containing=expect)


def test_block_creates_time_off_at_the_right_instants(slack, slack_api, day, session_factory):
    done = block(slack, slack_api, "2-4pm friday", expect="Blocked")
    assert "Blocked Fri 4 Dec 14:00–16:00 (New York time). Nobody can book you then." in done.text
    with session_factory() as s:
        [off] = s.query(TimeOff).all()
    assert (off.start_at, off.end_at) == (datetime(2026, 12, 4, 19, tzinfo=UTC),
                                          datetime(2026, 12, 4, 21, tzinfo=UTC))


def test_block_refuses_overlaps_and_phrases_without_a_time(slack, slack_api, day, session_factory, salon):
    day.book(salon.clients[2], 15, day=4, month=12)
    clash = block(slack, slack_api, "2-4pm friday", expect="I can't block")
    assert "it overlaps 1 appointment: 15:00–15:45 Haircut with Client 2" in clash.text
    vague = block(slack, slack_api, "friday", expect="Which hours should I block?")
    assert "Fri 4 Dec, with no times" in vague.text and "/block 2-4pm friday" in vague.text
    block(slack, slack_api, "", expect="Which hours should I block?")
    block(slack, slack_api, "2-3am today", expect="Mon 30 Nov 02:00–03:00 has already passed")
    with session_factory() as s:
        assert s.query(TimeOff).count() == 0


def test_app_home_shows_today_and_tomorrow(slack, slack_api, day, clock, session_factory):
    day.book(day.afternoon.client_id, 9, day=1, month=12)
    opened = sample("app_home_opened.json")["event"] | {"user": SAM}
    assert slack.event(opened).status_code == 200
    home = slack_api.wait_for("views.publish")
    assert home.params["user_id"] == SAM and home.params["view"]["type"] == "home"
    assert "Today (Mon 30 Nov) · New York time" in home.text and "Tomorrow (Tue 1 Dec) · New York time" in home.text
    assert "*10:00–10:45*  Haircut · Client 0" in home.text and "*09:00–09:45*  Haircut · Client 1" in home.text
    clock.now += timedelta(hours=8)  # 11:00 in New York
    slack.click(SAM, home, "Completed", value=day.morning.id)
    slack_api.wait_for("views.publish", containing="Client 0 · _completed ✓_")
    assert appointments(session_factory, id=day.morning.id)[0].status == "completed"


def test_app_home_for_a_client_says_how_to_book(slack, slack_api, day):
    slack.event(sample("app_home_opened.json")["event"] | {"user": "U0NOBODY"})
    assert "Book an appointment" in slack_api.wait_for("views.publish").text
