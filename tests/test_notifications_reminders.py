"""Reminders are exactly what the appointment is now: scheduled with RQ at the right UTC instants
(24 real hours before, across the spring DST change), re-timed by a move, removed by a cancellation;
a late job for an old version sends nothing. A real Redis, a real RQ worker, the channel doubles."""
from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from core.db.models import Business
from core.db.session import UnitOfWork
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk  # noqa: F401  (fixtures)

LONDON = "Europe/London"
# Friday 26 March 2027, noon UTC. The UK's clocks go forward at 01:00 UTC on Sunday 28 March.
NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
SUNDAY_TEN = at(LONDON, 2027, 3, 28, 10)  # 09:00 UTC, in summer time


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


def telegram_texts(desk, chat: int) -> list[str]:
    return [p.get("text") or p.get("caption") or "" for p in desk.telegram.params("sendMessage")
            + desk.telegram.params("sendDocument") if int(p["chat_id"]) == chat]


def test_reminders_are_due_24_real_hours_and_2_hours_before_across_the_dst_change(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, SUNDAY_TEN)
    desk.work()  # the booking's event: a confirmation now, and the reminders scheduled
    assert desk.reminder_times(appt.id) == [
        datetime(2027, 3, 27, 9, 0, tzinfo=UTC),  # 24 h before: 09:00 GMT on Saturday, not 10:00
        datetime(2027, 3, 28, 7, 0, tzinfo=UTC),  # 2 h before: 08:00 BST on Sunday
    ]
    assert [n.kind for n in desk.notifications(status="sent")] == ["confirmation"]


def test_the_reminder_arrives_when_its_time_comes_with_confirm_cancel_move_buttons(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, SUNDAY_TEN)
    desk.work()
    desk.at(datetime(2027, 3, 27, 8, 59, tzinfo=UTC))
    assert not any("Reminder" in t for t in telegram_texts(desk, 5550001))
    desk.at(datetime(2027, 3, 27, 9, 0, tzinfo=UTC))
    message = desk.telegram.last_message(5550001)
    assert message["text"].startswith("Reminder: your Haircut with Sam is tomorrow (Sun 28 Mar) at 10:00 London time")
    buttons = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"remind:confirm:{appt.id}", f"remind:cancel:{appt.id}", f"remind:move:{appt.id}"]
    assert desk.container.assistant.store.load("telegram", "5550001").reminded == appt.id


def test_moving_re_times_the_reminders_and_the_old_ones_send_nothing(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, SUNDAY_TEN)
    desk.work()
    desk.move(appt.id, at(LONDON, 2027, 3, 29, 15))  # Monday 15:00 BST = 14:00 UTC
    desk.work()
    assert desk.reminder_times(appt.id) == [datetime(2027, 3, 28, 14, 0, tzinfo=UTC),
                                            datetime(2027, 3, 29, 12, 0, tzinfo=UTC)]
    assert len(desk.scheduled()) == 2  # the first version's jobs are gone from RQ
    old = desk.notifications(appointment_id=appt.id, kind="reminder", version=1)
    assert {n.status for n in old} == {"cancelled"}
    desk.at(datetime(2027, 3, 28, 14, 0, tzinfo=UTC))
    reminders = [t for t in telegram_texts(desk, 5550001) if t.startswith("Reminder")]
    assert reminders == ["Reminder: your Haircut with Sam is tomorrow (Mon 29 Mar) at 15:00 London time."]
    assert any(t.startswith("Moved: your Haircut with Sam is now") for t in telegram_texts(desk, 5550001))


def test_a_late_job_for_a_stale_version_sends_nothing(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, SUNDAY_TEN)
    desk.work()
    first = desk.notifications(appointment_id=appt.id, kind="reminder", version=1)[0]
    # The appointment moves, and the reminder job of its first version fires before the worker has
    # seen the move (its event is not processed yet, so the old job was not removed):
    desk.container.booking.publish = lambda _events: None
    desk.move(appt.id, at(LONDON, 2027, 3, 29, 15))
    desk.at(datetime(2027, 3, 27, 9, 0, tzinfo=UTC))
    assert not any(t.startswith("Reminder") for t in telegram_texts(desk, 5550001))
    row = desk.notifications(id=first.id)[0]
    assert row.status == "skipped" and "stale" in row.log[-1]["outcome"]


def test_cancelling_removes_the_reminders(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, SUNDAY_TEN)
    desk.work()
    desk.cancel(appt.id)
    desk.work()
    assert desk.scheduled() == {}
    assert {n.status for n in desk.notifications(kind="reminder")} == {"cancelled"}
    desk.at(datetime(2027, 3, 28, 8, 0, tzinfo=UTC))
    texts = telegram_texts(desk, 5550001)
    assert not any(t.startswith("Reminder") for t in texts)
    assert any(t.startswith("Sorry, Test salon has had to cancel your Haircut with Sam") and "Reason: test." in t
               for t in texts)


def test_no_reminder_in_the_past(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    appt = desk.book(ana, at(LONDON, 2027, 3, 26, 15))  # 14:00 UTC today: 24 h before is long gone
    desk.work()
    assert desk.reminder_times(appt.id) == [datetime(2027, 3, 26, 13, 0, tzinfo=UTC)]  # only the 2 h one


def test_sms_reminders_wait_for_the_end_of_quiet_hours_or_are_skipped(desk):
    bo = desk.client("Bo", "sms", "+442079460958")
    appt = desk.book(bo, at(LONDON, 2027, 3, 29, 9))  # Monday 09:00 BST (08:00 UTC)
    desk.work()
    # 24 h before is 09:00 on Sunday (fine); 2 h before is 07:00, in quiet hours, so 08:00 local.
    assert desk.reminder_times(appt.id) == [datetime(2027, 3, 28, 8, 0, tzinfo=UTC),
                                            datetime(2027, 3, 29, 7, 0, tzinfo=UTC)]


def test_an_sms_reminder_that_quiet_hours_would_push_past_the_start_is_not_scheduled(desk):
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.get(Business, 1).sms_quiet_end = time(9, 30)
        uow.commit()
    bo = desk.client("Bo", "sms", "+442079460958")
    appt = desk.book(bo, at(LONDON, 2027, 3, 29, 9))
    desk.work()
    # 24 h before (09:00 BST on Sunday) waits until 09:30; 2 h before would wait until after the start.
    assert desk.reminder_times(appt.id) == [datetime(2027, 3, 28, 8, 30, tzinfo=UTC)]


def test_sms_reminder_text_uses_letters_never_the_opt_out_word(desk):
    bo = desk.client("Bo", "sms", "+442079460958")
    desk.book(bo, SUNDAY_TEN)
    desk.work()
    desk.at(datetime(2027, 3, 27, 9, 0, tzinfo=UTC))
    bodies = [c.form["Body"] for c in desk.twilio.calls]
    reminder = next(b for b in bodies if b.startswith("Reminder"))
    assert "Reply C to confirm, X to cancel, R to move." in reminder  # then the manage link, where it fits
    assert "CANCEL" not in reminder


def test_nothing_is_sent_to_a_number_that_opted_out(desk):
    from bots.sms.optouts import OptOuts

    bo = desk.client("Bo", "sms", "+442079460958")
    desk.book(bo, SUNDAY_TEN)
    desk.work()
    OptOuts(desk.container.session_factory).set("+442079460958", True)
    desk.at(datetime(2027, 3, 28, 8, 0, tzinfo=UTC))
    assert [c.form["Body"] for c in desk.twilio.calls if c.form["Body"].startswith("Reminder")] == []
    reminders = desk.notifications(kind="reminder")
    assert {n.status for n in reminders} == {"failed"}  # listed with the reason, not silently dropped
    assert {n.error for n in reminders} == {"no channel reaches this person: opted out of sms"}
