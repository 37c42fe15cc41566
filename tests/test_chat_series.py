"""Recurring series in the chat, through POST /api/v1/chat on the demo salon (config/demo.yaml), with the
clock at Monday 30 November 2026, 08:00 in London; and the recurrence phrases read on their own.
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.booking.commands import Book
from core.db.models import Appointment, Provider, Service, User
from core.timeparse import find_time
from core.timeparse.recurrence import count_of, read_repeat
from tests.chat_helpers import Chat, demo_fixture  # noqa: F401  (fixtures)
from tests.factories import at

LDN = "Europe/London"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


# -- the phrases ------------------------------------------------------------------------------------
@pytest.mark.parametrize("phrase, weeks, count, until, first", [
    ("every tuesday at 10 for 6 weeks", 1, 6, None, at(LDN, 2026, 12, 1, 10)),
    ("every other friday at 4 until march", 2, None, at(LDN, 2027, 4, 1, 0), at(LDN, 2026, 12, 4, 16)),
    ("a haircut with sam every tuesday at 10 for 6 weeks", 1, 6, None, at(LDN, 2026, 12, 1, 10)),
    ("tuesdays at 10 for 4 weeks", 1, 4, None, at(LDN, 2026, 12, 1, 10)),
    ("every 2 weeks on thursday at 3 for 8 weeks", 2, 4, None, at(LDN, 2026, 12, 3, 15)),
    ("fortnightly on wednesdays at 11, six times", 2, 6, None, at(LDN, 2026, 12, 2, 11)),
    ("every friday at 2pm until 18 december", 1, None, at(LDN, 2026, 12, 19, 0), at(LDN, 2026, 12, 4, 14)),
    ("same time every week", 1, None, None, None),
])
def test_a_recurrence_phrase_gives_how_often_how_long_and_leaves_the_first_time(phrase, weeks, count, until, first):
    repeat = read_repeat(phrase, now=NOW, tz=ZoneInfo(LDN))
    assert (repeat.weeks, repeat.count, repeat.until) == (weeks, count, until)
    assert len(repeat.rest) == len(phrase)  # positions still index the message
    found = find_time(repeat.rest, now=NOW, tz=ZoneInfo(LDN))
    assert (found[0].start if found else None) == first
    assert repeat.same_time == phrase.startswith("same time")


@pytest.mark.parametrize("phrase", ["a haircut on tuesday at 10", "what's free on tuesdays?", "cancel my tuesday one",
                                    "every time I come in it's lovely"])
def test_a_message_without_a_recurrence_has_none(phrase):
    assert read_repeat(phrase, now=NOW, tz=ZoneInfo(LDN)) is None


def test_how_many_when_that_is_all_a_message_says():
    assert [count_of(t) for t in ("6", "Six weeks", "for 4 weeks", "8 times", "4 please", "hello", "at 4pm")] == [
        6, 6, 4, 8, 4, None, None]


# -- the dialogues ----------------------------------------------------------------------------------
def ids(session_factory) -> dict[str, int]:
    with session_factory() as s:
        return {**{p.name: p.id for p in s.scalars(select(Provider))},
                **{v.name: v.id for v in s.scalars(select(Service))}}


def someone_else_books(demo, session_factory, start: datetime) -> None:
    with session_factory() as s:
        other = User(name="Other client", role="client")
        s.add(other)
        s.commit()
        other_id = other.id
    known = ids(session_factory)
    demo.app.state.container.booking.book(Book(known["Haircut"], known["Sam"], other_id, start))


def series_rows(session_factory, client_name: str) -> list[Appointment]:
    with session_factory() as s:
        client = s.scalar(select(User).where(User.name == client_name))
        return list(s.scalars(select(Appointment).where(Appointment.client_id == client.id)
                              .order_by(Appointment.start_at)))


def book_six_tuesdays(demo, session_factory) -> Chat:
    someone_else_books(demo, session_factory, at(LDN, 2026, 12, 8, 10))
    chat = Chat(demo)
    chat.say("I'd like a haircut with Sam every Tuesday at 10 for 6 weeks")
    assert chat.text == ("6 Tuesdays at 10:00 (London time) from Tue 1 Dec to Tue 5 Jan with Sam: 5 free, "
                         "8 Dec is taken (nearest: 09:00). Book the 5?")
    assert chat.choices == ["Yes, book the 5", "No"]
    chat.pick("Yes")
    assert "What name" in chat.text
    chat.say("Ana Souza")
    return chat


def test_every_tuesday_at_10_for_6_weeks_is_booked_end_to_end(demo, session_factory):
    chat = book_six_tuesdays(demo, session_factory)
    rows = series_rows(session_factory, "Ana Souza")
    assert [r.start_at for r in rows] == [at(LDN, 2026, 12, d, 10) for d in (1, 15, 22, 29)] + [at(LDN, 2027, 1, 5, 10)]
    assert len({r.series_id for r in rows}) == 1 and rows[0].series_id is not None
    assert {(r.status, r.channel) for r in rows} == {("confirmed", "web")}
    assert chat.text.startswith("Booked! 5 × Haircut with Sam (London time):\n• tomorrow (Tue 1 Dec) at 10:00 (code ")
    for row in rows:
        assert f"(code {row.confirmation_code})" in chat.text
    assert chat.text.endswith("Not booked: 8 Dec is taken (nearest: 09:00).")


def test_cancel_all_my_tuesday_sessions_asks_one_or_all_and_cancels_them_all(demo, session_factory):
    chat = book_six_tuesdays(demo, session_factory)
    chat.say("cancel all my Tuesday sessions")
    assert chat.text == "You have 5 Haircuts on Tuesdays coming up (Tue 1 Dec to Tue 5 Jan). Cancel just one, or all 5?"
    assert chat.choices == ["Just one", "All 5", "Never mind"]
    chat.pick("All 5")
    assert chat.text.startswith("Cancelled all 5:")
    assert {r.status for r in series_rows(session_factory, "Ana Souza")} == {"cancelled"}


def test_cancel_all_my_tuesday_sessions_then_just_one_cancels_that_one(demo, session_factory):
    chat = book_six_tuesdays(demo, session_factory)
    chat.say("cancel all my Tuesday sessions")
    chat.pick("Just one")
    assert "Which one would you like to cancel?" in chat.text
    chat.pick("Tue 15 Dec")
    assert "Cancel your Haircut with Sam, Tue 15 Dec at 10:00" in chat.text
    chat.pick("Yes")
    assert [(r.start_at.day, r.status) for r in series_rows(session_factory, "Ana Souza")] == [
        (1, "confirmed"), (15, "cancelled"), (22, "confirmed"), (29, "confirmed"), (5, "confirmed")]


def test_same_time_every_week_after_a_booking_asks_how_many_weeks(demo, session_factory):
    chat = Chat(demo)
    chat.say("a haircut with Sam tomorrow at 4pm")
    chat.pick("Yes")
    chat.say("Ben Okafor")
    assert "Booked!" in chat.text
    chat.say("same time every week")
    assert chat.text == "How many weeks should I book? I'd suggest 4."
    assert chat.choices == ["4 weeks", "6 weeks", "8 weeks"]
    chat.pick("4 weeks")
    assert chat.text == ("4 Tuesdays at 16:00 (London time) from Tue 8 Dec to Tue 29 Dec with Sam: all 4 are free. "
                         "Shall I book them?")
    chat.say("yes please")
    assert chat.text.startswith("Booked! 4 × Haircut with Sam")
    rows = series_rows(session_factory, "Ben Okafor")
    assert [r.start_at for r in rows] == [at(LDN, 2026, 12, d, 16) for d in (1, 8, 15, 22, 29)]
    assert rows[0].series_id is None and len({r.series_id for r in rows[1:]}) == 1


def test_every_other_friday_until_march_asks_the_service_and_stops_at_the_horizon(demo, session_factory):
    chat = Chat(demo)
    chat.say("every other Friday at 4 until March")
    assert chat.text == "Which service would you like to book each time?"
    chat.pick("Beard trim")
    # Jordan stops at 15:00 on Fridays: Sam, who is free each time; 29 Jan is past the 60 days bookings open.
    assert chat.text == ("4 Fridays, every other week, at 16:00 (London time) from Fri 4 Dec to Fri 15 Jan with Sam "
                         "(bookings open 60 days ahead, so that's as far as I can book): all 4 are free. "
                         "Shall I book them?")
    chat.say("no thanks")
    assert "I haven't booked them" in chat.text
    with session_factory() as s:
        assert s.scalars(select(Appointment)).all() == []
