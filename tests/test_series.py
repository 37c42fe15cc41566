"""Recurring series in the booking core: each occurrence booked under a single booking's guards, wall-clock
time kept across DST, conflicts reported with alternatives, the rest of a series cancelled, reminders per
occurrence. A real database (both engines) and a real Redis; the rule expanded by dateutil."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.booking import errors
from core.booking.commands import Book
from core.booking.recurrence import MAX_OCCURRENCES, BadRecurrence, SeriesTooLong, expand
from core.booking.series import BookSeries, SeriesService
from core.db.models import Appointment, AppointmentSeries
from tests.booking_fixtures import booking_fixture, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.factories import at, make_salon
from tests.notification_helpers import doubles_fixture, make_desk  # noqa: F401  (fixtures)

LDN = "Europe/London"
TUE = (2026, 12, 1)


@pytest.fixture(name="series")
def series_fixture(booking) -> SeriesService:
    return SeriesService(booking)


def weekly(salon, start, rule="FREQ=WEEKLY;COUNT=4", *, client=0, provider=None, key=None) -> BookSeries:
    return BookSeries(salon.haircut, provider or salon.sam, salon.clients[client], start, rule, idempotency_key=key)


def series_rows(session_factory, series_id):
    with session_factory() as s:
        return list(s.scalars(select(Appointment).where(Appointment.series_id == series_id)
                              .order_by(Appointment.start_at)))


def test_a_weekly_series_of_four_with_one_week_taken_books_three_and_offers_alternatives(
        series, booking, salon, session_factory):
    booking.book(Book(salon.haircut, salon.sam, salon.clients[1], at(LDN, 2026, 12, 8, 10)))
    done = series.book(weekly(salon, at(LDN, *TUE, 10)))
    assert [a.start_at for a in done.booked] == [at(LDN, 2026, 12, d, 10) for d in (1, 15, 22)]
    assert {a.series_id for a in done.booked} == {done.series_id}
    assert {(a.status, a.client_id) for a in done.booked} == {("confirmed", salon.clients[0])}
    [conflict] = done.conflicts
    assert (conflict.start, conflict.code) == (at(LDN, 2026, 12, 8, 10), "slot_taken")
    assert "booked" in conflict.detail
    # Alex is free at that very time; Sam's nearest are an hour either side (10:00-11:00 is taken with clean-up).
    assert [(s.start, s.provider_id) for s in conflict.alternatives] == [
        (at(LDN, 2026, 12, 8, 10), salon.alex), (at(LDN, 2026, 12, 8, 9), salon.sam),
        (at(LDN, 2026, 12, 8, 11), salon.sam)]
    assert [a.id for a in series_rows(session_factory, done.series_id)] == [a.id for a in done.booked]


def test_each_occurrence_keeps_the_guards_of_a_single_booking(series, salon, session_factory):
    # Fridays 16:30: a haircut would end after closing at 17:00, so none is bookable, and each says why.
    done = series.book(weekly(salon, at(LDN, 2026, 12, 4, 16, 30), "FREQ=WEEKLY;COUNT=2"))
    assert done.booked == []
    assert [c.code for c in done.conflicts] == ["outside_hours", "outside_hours"]
    assert all(c.alternatives and c.alternatives[0].start < at(LDN, 2026, 12, 4, 16, 30) + timedelta(days=7)
               for c in done.conflicts)
    with session_factory() as s:  # the series is kept, with what could not be booked
        row = s.get(AppointmentSeries, done.series_id)
        assert [c["code"] for c in row.conflicts] == ["outside_hours", "outside_hours"]


def test_the_per_client_cap_stops_a_series_part_way(booking, session_factory, redis_client):
    salon = make_salon(session_factory, rules={"maxFutureBookings": 2})
    done = SeriesService(booking).book(weekly(salon, at(LDN, *TUE, 10)))
    assert len(done.booked) == 2
    assert [c.code for c in done.conflicts] == ["booking_limit", "booking_limit"]


def test_a_series_across_the_spring_dst_change_keeps_ten_oclock_local(booking, session_factory, clock):
    clock.now = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # the UK's clocks go forward on Sunday 28 March
    salon = make_salon(session_factory, rules={"horizonDays": 60})
    done = SeriesService(booking).book(weekly(salon, at(LDN, 2027, 3, 23, 10), "FREQ=WEEKLY;COUNT=3"))
    assert done.conflicts == []
    assert [a.start_at for a in done.booked] == [datetime(2027, 3, 23, 10, tzinfo=UTC),  # GMT
                                                 datetime(2027, 3, 30, 9, tzinfo=UTC),  # BST
                                                 datetime(2027, 4, 6, 9, tzinfo=UTC)]
    assert {a.start_at.astimezone(ZoneInfo(LDN)).hour for a in done.booked} == {10}


def test_a_series_across_the_autumn_dst_change_keeps_ten_oclock_local(booking, session_factory, clock):
    clock.now = datetime(2027, 10, 18, 8, 0, tzinfo=UTC)  # back to GMT on Sunday 31 October
    salon = make_salon(session_factory, rules={"horizonDays": 60})
    done = SeriesService(booking).book(weekly(salon, at(LDN, 2027, 10, 26, 10), "FREQ=WEEKLY;COUNT=2"))
    assert [a.start_at for a in done.booked] == [datetime(2027, 10, 26, 9, tzinfo=UTC),
                                                 datetime(2027, 11, 2, 10, tzinfo=UTC)]


def test_a_local_time_the_clocks_skip_is_a_conflict_not_shifted(booking, session_factory, clock):
    clock.now = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)
    salon = make_salon(session_factory, rules={"horizonDays": 60, "minNoticeMinutes": 0},
                       hours={"mon-sun": "00:00-04:00"})
    done = SeriesService(booking).book(weekly(salon, at(LDN, 2027, 3, 27, 1, 30), "FREQ=DAILY;COUNT=3"))
    assert [a.start_at.astimezone(ZoneInfo(LDN)).strftime("%d %H:%M") for a in done.booked] == ["27 01:30",
                                                                                                "29 01:30"]
    [skipped] = done.conflicts
    assert skipped.code == "no_such_time"
    assert skipped.detail == "01:30 does not happen on Sun 28 Mar in Europe/London (the clocks go forward)"


def test_cancelling_the_rest_of_a_series_leaves_the_earlier_occurrences(series, salon, session_factory):
    done = series.book(weekly(salon, at(LDN, *TUE, 10)))
    gone = series.cancel(done.series_id, start=at(LDN, 2026, 12, 15, 0), reason="moving away", actor="api")
    assert [a.start_at for a in gone.cancelled] == [at(LDN, 2026, 12, 15, 10), at(LDN, 2026, 12, 22, 10)]
    assert [(a.start_at.day, a.status) for a in series_rows(session_factory, done.series_id)] == [
        (1, "confirmed"), (8, "confirmed"), (15, "cancelled"), (22, "cancelled")]
    rest = series.cancel(done.series_id)  # without a start: every one still to come
    assert [a.start_at.day for a in rest.cancelled] == [1, 8]
    with pytest.raises(errors.NotFound):
        series.cancel(done.series_id + 1000)


def test_one_occurrence_moves_on_its_own(series, booking, salon):
    from core.booking.commands import Reschedule

    done = series.book(weekly(salon, at(LDN, *TUE, 10)))
    moved = booking.reschedule(Reschedule(done.booked[1].id, at(LDN, 2026, 12, 9, 14)))
    assert (moved.start_at, moved.series_id) == (at(LDN, 2026, 12, 9, 14), done.series_id)


def test_the_same_key_replays_the_series_and_another_request_under_it_is_refused(series, salon, session_factory):
    first = series.book(weekly(salon, at(LDN, *TUE, 10), key="abc"))
    again = series.book(weekly(salon, at(LDN, *TUE, 10), key="abc"))
    assert again.replayed and again.series_id == first.series_id
    assert [a.id for a in again.booked] == [a.id for a in first.booked]
    assert len(series_rows(session_factory, first.series_id)) == 4
    with pytest.raises(errors.IdempotencyKeyReused, match="recurrence"):
        series.book(weekly(salon, at(LDN, *TUE, 10), "FREQ=WEEKLY;COUNT=3", key="abc"))


def test_a_plan_says_what_is_free_and_books_nothing(series, booking, salon, session_factory):
    booking.book(Book(salon.haircut, salon.sam, salon.clients[1], at(LDN, 2026, 12, 8, 10)))
    plan = series.plan(service_id=salon.haircut, provider_id=salon.sam, client_id=None, start=at(LDN, *TUE, 10),
                       recurrence="FREQ=WEEKLY;COUNT=3")
    assert [(o.start.day, o.conflict and o.conflict.code) for o in plan] == [(1, None), (8, "slot_taken"), (15, None)]
    assert plan[1].conflict.alternatives[0].start == at(LDN, 2026, 12, 8, 10)
    with session_factory() as s:
        assert s.scalar(select(AppointmentSeries)) is None and len(s.scalars(select(Appointment)).all()) == 1


@pytest.mark.parametrize("rule, message", [
    ("FREQ=WEEKLY;COUNT=x", "not a valid RRULE"),
    ("every tuesday", "FREQ=DAILY, WEEKLY"),
    ("FREQ=WEEKLY;FOO=1", "not a valid RRULE"),
    ("FREQ=HOURLY;COUNT=3", "FREQ=DAILY, WEEKLY"),
    ("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "INTERVAL"),
    ("FREQ=WEEKLY;COUNT=2\nRDATE:20261201", "one RRULE line"),
    ("", "one RRULE line"),
])
def test_a_bad_rule_is_refused_with_a_reason(rule, message):
    with pytest.raises(BadRecurrence, match=message):
        expand(rule, at(LDN, *TUE, 10), LDN, until=at(LDN, 2027, 1, 30, 0))


def test_a_series_is_capped_in_length_and_by_the_booking_horizon():
    first, until = at(LDN, *TUE, 10), at(LDN, 2027, 6, 30, 0)
    assert len(expand(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}", first, LDN, until=until)) == MAX_OCCURRENCES
    with pytest.raises(SeriesTooLong, match="at most 52"):
        expand(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", first, LDN, until=until)
    with pytest.raises(SeriesTooLong, match="runs past"):
        expand("FREQ=WEEKLY", first, LDN, until=at(LDN, 2026, 12, 30, 0))  # no end at all
    with pytest.raises(SeriesTooLong, match="no start"):  # there is no 30 February: refused at once
        expand("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", first, LDN, until=until)


def test_until_as_a_utc_instant_or_a_local_date():
    first = at(LDN, *TUE, 10)
    by_instant = expand("FREQ=WEEKLY;UNTIL=20261215T100000Z", first, LDN, until=at(LDN, 2027, 1, 30, 0))
    by_date = expand("RRULE:FREQ=WEEKLY;UNTIL=20261215", first, LDN, until=at(LDN, 2027, 1, 30, 0))
    assert [s.local.day for s in by_instant] == [1, 8, 15]
    assert [s.local.day for s in by_date] == [1, 8]  # 15 Dec 00:00 local comes before 10:00 that day


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, datetime(2026, 11, 30, 8, tzinfo=UTC))


def test_each_occurrence_gets_its_own_confirmation_and_reminders(desk):
    ana = desk.client("Ana", "telegram", "5550001")
    done = SeriesService(desk.container.booking).book(BookSeries(
        desk.salon.haircut, desk.salon.sam, ana, at(LDN, *TUE, 10), "FREQ=WEEKLY;COUNT=2"))
    desk.work()
    second = done.booked[1]
    assert desk.reminder_times(second.id) == [datetime(2026, 12, 7, 10, tzinfo=UTC),  # 24 h before
                                              datetime(2026, 12, 8, 8, tzinfo=UTC)]  # 2 h before
    assert len(desk.notifications(kind="confirmation", status="sent")) == 2
