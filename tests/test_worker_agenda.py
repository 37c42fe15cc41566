"""The worker's periodic and after-the-fact messages: each provider's daily agenda in Slack at their own
local morning (once a day), a follow-up after a completed visit with one-tap rebooking, a note after a
no-show, and a note to the provider when a client cancels."""
from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

import worker

from core.booking.commands import SetStatus
from core.conversation.messages import Inbound
from core.db.models import Provider
from core.db.session import UnitOfWork
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk, settings_for  # noqa: F401  (fixtures)

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
LONDON = "Europe/London"


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


def tick(desk, moment: datetime) -> None:
    """The periodic agenda job, run by the worker at `moment`."""
    desk.clock.now = moment
    desk.jobs.enqueue("agenda_tick", job_id=f"test-tick-{int(moment.timestamp())}")
    desk.work()


def agendas(desk) -> list:
    return [c for c in desk.slack.calls_to("chat.postMessage") if c.params.get("text", "").startswith("Your agenda")]


def test_each_provider_gets_the_days_agenda_at_their_local_morning_once(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    desk.book(ana, at(LONDON, 2027, 3, 29, 10))
    desk.book(ana, at(LONDON, 2027, 3, 29, 14))
    desk.link_provider_slack(desk.salon.sam, "U0SAM")                    # 08:00 London, the default
    desk.link_provider_slack(desk.salon.alex, "U0ALEX", agenda_time=time(7, 30))
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.get(Provider, desk.salon.alex).timezone = "America/New_York"
        uow.commit()
    desk.work()
    tick(desk, datetime(2027, 3, 29, 6, 55, tzinfo=UTC))  # 07:55 in London (summer time since Sunday)
    assert agendas(desk) == []
    tick(desk, datetime(2027, 3, 29, 7, 0, tzinfo=UTC))   # 08:00 in London: Sam's
    [sam] = agendas(desk)
    assert sam.params["channel"] == "D0SAM"
    assert sam.params["blocks"][0]["text"]["text"] == "Today (Mon 29 Mar) · London time"
    lines = [b["text"]["text"] for b in sam.params["blocks"] if b.get("type") == "section"]
    assert lines[0].startswith("*10:00–10:45*  Haircut · Ana") and lines[1].startswith("*14:00–14:45*")
    assert {b["action_id"] for b in sam.buttons()} == {"agenda_completed", "agenda_no_show", "agenda_running_late",
                                                      "agenda_cancel"}
    tick(desk, datetime(2027, 3, 29, 7, 5, tzinfo=UTC))   # the next tick: nothing twice
    assert len(agendas(desk)) == 1
    tick(desk, datetime(2027, 3, 29, 11, 30, tzinfo=UTC))  # 07:30 in New York: Alex's
    assert [c.params["channel"] for c in agendas(desk)] == ["D0SAM", "D0ALEX"]
    assert agendas(desk)[1].params["blocks"][0]["text"]["text"] == "Today (Mon 29 Mar) · New York time"
    assert len(desk.notifications(kind="agenda", status="sent")) == 2


def test_the_tick_schedules_the_next_one(desk):
    tick(desk, datetime(2027, 3, 29, 7, 2, tzinfo=UTC))
    assert list(desk.scheduled("slotline-agenda-tick").values()) == [datetime(2027, 3, 29, 7, 5, tzinfo=UTC)]


def test_a_missed_morning_is_not_sent_hours_late(desk):
    desk.link_provider_slack(desk.salon.sam, "U0SAM")
    tick(desk, datetime(2027, 3, 29, 12, 0, tzinfo=UTC))  # the worker was down all morning
    assert agendas(desk) == []


def test_a_completed_visit_gets_thanks_and_books_again_in_one_tap(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, at(LONDON, 2027, 3, 29, 10))
    desk.work()
    desk.clock.now = datetime(2027, 3, 29, 9, 50, tzinfo=UTC)
    desk.container.booking.set_status(SetStatus(appt.id, "completed"))
    desk.work()
    message = desk.telegram.last_message(5550001)
    assert message["text"].startswith("Thanks for visiting Test salon! We hope you enjoyed your Haircut.")
    [[button]] = message["reply_markup"]["inline_keyboard"]
    assert (button["text"], button["callback_data"]) == ("Book another haircut", f"rebook:{appt.id}")
    [offer] = desk.container.assistant.handle(Inbound("telegram", "5550001", choice=button["callback_data"]))
    assert offer.text.startswith("Free times for a Haircut with Sam today (Mon 29 Mar)")
    assert offer.choices[0].value == "slot:0"


def test_a_no_show_is_told_and_offered_another_time(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, at(LONDON, 2027, 3, 29, 10))
    desk.clock.now = datetime(2027, 3, 29, 9, 30, tzinfo=UTC)
    desk.container.booking.set_status(SetStatus(appt.id, "no_show"))
    desk.work()
    assert desk.telegram.last_message(5550001)["text"].startswith("We missed you at your Haircut with Sam")


def test_the_provider_hears_when_a_client_cancels_and_the_client_is_not_told_twice(desk):
    desk.link_provider_slack(desk.salon.sam, "U0SAM")
    ana = desk.client("Ana", "telegram", "5550001")
    mine = desk.book(ana, at(LONDON, 2027, 3, 29, 10))
    theirs = desk.book(ana, at(LONDON, 2027, 3, 29, 14))
    desk.work()
    desk.cancel(mine.id, actor="client")      # by chat: the chat said so
    desk.cancel(theirs.id, actor="provider")  # in Slack: told as for any cancellation by the business
    desk.work()
    note = desk.slack.wait_for("chat.postMessage", containing="Ana cancelled their Haircut")
    assert note.params["channel"] == "D0SAM" and "Mon 29 Mar at 10:00 (London time)" in note.params["text"]
    assert [n.appointment_id for n in desk.notifications(kind="cancelled")] == [theirs.id]
    assert len(desk.notifications(kind="provider_cancelled")) == 1


def test_a_client_changing_things_with_their_own_api_token_is_told_on_their_channel_and_the_provider_too(desk):
    """A REST change made with the client's own token (`client:<id>`): the HTTP answer went to whatever program
    called, so the client hears it on their channel, worded as their own doing, and the provider is told as
    when a client cancels in a chat. One made with the provider's token (`provider:<id>`) is the business's."""
    desk.link_provider_slack(desk.salon.sam, "U0SAM")
    ana = desk.client("Ana", "telegram", "5550001")
    mine, moved, theirs = (desk.book(ana, at(LONDON, 2027, 3, 29, hour)) for hour in (10, 14, 15))
    desk.work()
    desk.move(moved.id, at(LONDON, 2027, 3, 30, 14), actor=f"client:{ana}")
    desk.cancel(mine.id, actor=f"client:{ana}")
    desk.cancel(theirs.id, actor="provider:99")
    desk.work()
    texts = [m["text"] for m in desk.telegram.params("sendMessage") if str(m["chat_id"]) == "5550001"]
    captions = [m["caption"] for m in desk.telegram.params("sendDocument") if str(m["chat_id"]) == "5550001"]
    assert any(text.startswith("Cancelled, as you asked: your Haircut with Sam, Mon 29 Mar at 10:00") for text in texts)
    assert any(text.startswith("Sorry, Test salon has had to cancel your Haircut with Sam") for text in texts)
    assert any(caption.startswith("Moved: your Haircut with Sam is now Tue 30 Mar at 14:00") for caption in captions)
    desk.slack.wait_for("chat.postMessage", containing="Ana cancelled their Haircut")
    assert {n.appointment_id for n in desk.notifications(kind="provider_cancelled")} == {mine.id}
    assert {n.appointment_id for n in desk.notifications(kind="provider_moved")} == {moved.id}


def test_the_worker_entry_builds_its_own_container_on_its_first_job(desk, engine, redis_url, tmp_path, doubles):
    ana = desk.client("Ana", "telegram", "5550001")
    worker.install(None)  # a fresh worker process: no container until a job needs one
    desk.book(ana, at(LONDON, 2027, 3, 29, 10))
    settings = settings_for(tmp_path, doubles, SLOTLINE_DATABASE_URL=engine.url.render_as_string(hide_password=False),
                            SLOTLINE_REDIS_URL=redis_url)
    try:
        worker.main(settings, burst=True)
    finally:
        worker._wiring = None
    [sent] = desk.telegram.params("sendDocument")
    assert sent["caption"].startswith("Booked: Haircut with Sam")
    assert desk.scheduled("slotline-agenda-tick")  # the first tick of the agenda chain
