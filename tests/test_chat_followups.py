"""Keeping the thread (issue 11), through POST /api/v1/chat on the demo salon, checked against the rows.

A follow-up that gives only a time, a relative change or only a day applies to what is being
discussed: the service, the provider and the day (or the time) already said, also while moving.
The clock is Monday 30 November 2026, 08:00 in London; see tests/test_chat_questions.py for the salon.
"""
from __future__ import annotations

from tests.chat_helpers import Chat, appointments, demo_fixture  # noqa: F401  (fixtures)
from tests.receptionist import booked


def test_a_time_alone_is_on_the_day_being_discussed(demo, session_factory):
    chat = Chat(demo)
    chat.say("can I get a haircut with sam on thursday")
    assert "Thu 3 Dec" in chat.text and chat.choices[0] == "09:00"
    chat.say("hmm no, a bit later, like 2ish?")  # not today's 14:00
    assert "Haircut (45 min) with Sam, Thu 3 Dec at 14:00 London time. Shall I book it?" in chat.text
    chat.say("ok 4 then")
    assert "Thu 3 Dec at 16:00" in chat.text
    chat.say("make it 10 instead")
    assert "Thu 3 Dec at 10:00" in chat.text
    chat.say("yes")
    chat.say("Dana Scully")
    assert booked(session_factory) == ["Haircut with Sam, Thu 3 Dec 10:00, Dana Scully"]


def test_relative_changes_move_the_time_being_discussed(demo, session_factory):
    chat = Chat(demo)
    chat.say("blow dry with alex on wednesday at 11")
    assert "Wed 2 Dec at 11:00" in chat.text
    chat.say("could it be an hour later?")
    assert "Wed 2 Dec at 12:00" in chat.text
    chat.say("30 min earlier then")
    assert "Wed 2 Dec at 11:30" in chat.text
    chat.say("the one before")  # the free time just before, with the same provider
    assert "Wed 2 Dec at 11:15" in chat.text
    chat.say("yes")
    chat.say("Fox Mulder")
    assert booked(session_factory) == ["Blow-dry with Alex, Wed 2 Dec 11:15, Fox Mulder"]


def test_same_time_on_another_day_and_a_day_alone_keep_the_time(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with alex tomorrow at 11")
    assert "tomorrow (Tue 1 Dec) at 11:00" in chat.text
    chat.say("actually same time on friday")
    assert "Fri 4 Dec at 11:00" in chat.text
    chat.say("no, thursday")  # a day alone keeps the time asked for
    assert "Thu 3 Dec at 11:00" in chat.text
    chat.say("yes")
    chat.say("John Doggett")
    assert booked(session_factory) == ["Haircut with Alex, Thu 3 Dec 11:00, John Doggett"]


def test_that_day_and_the_same_time_after_a_closed_day(demo, session_factory):
    chat = Chat(demo)
    chat.say("beard trim with jordan on sunday at 3pm")
    assert "We're closed on Sundays. The nearest free times on Mon 7 Dec are" in chat.text
    assert "Mon 7 Dec 15:00" in chat.choices
    chat.say("fine, that day then, same time")
    assert "Beard trim (20 min) with Jordan, Mon 7 Dec at 15:00" in chat.text
    chat.say("yes")
    chat.say("Walter Skinner")
    assert booked(session_factory) == ["Beard trim with Jordan, Mon 7 Dec 15:00, Walter Skinner"]


def test_the_earlier_of_two_times_they_named(demo, session_factory):
    chat = Chat(demo)
    chat.say("blow dry with jordan tomorrow, 5pm or 6pm?")
    assert "Both are free tomorrow (Tue 1 Dec): 17:00 or 18:00" in chat.text
    assert chat.choices[:2] == ["17:00", "18:00"]
    chat.say("the earlier one")
    assert "tomorrow (Tue 1 Dec) at 17:00" in chat.text
    chat.say("yes")
    chat.say("Jeffrey Spender")
    assert booked(session_factory) == ["Blow-dry with Jordan, Tue 1 Dec 17:00, Jeffrey Spender"]


def test_an_hour_later_while_moving_is_from_the_appointments_own_time(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with sam tomorrow at 10")
    chat.say("yes")
    chat.say("Monica Reyes")
    [before] = appointments(session_factory)
    chat.say("could we make it an hour later?")
    assert "Haircut (45 min) with Sam, tomorrow (Tue 1 Dec) at 11:00 London time. Shall I move it?" in chat.text
    chat.say("yes")
    [after] = appointments(session_factory)
    assert (after.id, after.version) == (before.id, 2)
    assert booked(session_factory) == ["Haircut with Sam, Tue 1 Dec 11:00, Monica Reyes"]
    chat.say("move my appointment")  # asked when: a relative change is still from its own time
    chat.say("half an hour earlier")
    assert "tomorrow (Tue 1 Dec) at 10:30" in chat.text and "Shall I move it?" in chat.text
    chat.say("yes")
    assert booked(session_factory) == ["Haircut with Sam, Tue 1 Dec 10:30, Monica Reyes"]


def test_a_correction_lets_the_held_time_go_at_once(demo, session_factory):
    ana, ben = Chat(demo), Chat(demo)
    ana.say("haircut with sam tomorrow at 10")
    ben.say("haircut with sam tomorrow at 10")
    assert "10:00 isn't free" in ben.text  # Ana holds it
    ana.say("actually with alex")
    assert "with Alex, tomorrow (Tue 1 Dec) at 10:00" in ana.text
    ben.say("haircut with sam tomorrow at 10")
    assert "with Sam, tomorrow (Tue 1 Dec) at 10:00" in ben.text and "isn't free" not in ben.text
    ben.say("yes")
    ben.say("Ben Lee")
    ana.say("yes")
    ana.say("Ana Souza")
    assert booked(session_factory) == ["Haircut with Alex, Tue 1 Dec 10:00, Ana Souza",
                                       "Haircut with Sam, Tue 1 Dec 10:00, Ben Lee"]


def test_a_time_with_a_provider_picks_that_providers_time(demo, session_factory):
    chat = Chat(demo)
    chat.say("a haircut tomorrow after half 4, anyone is fine")
    assert "17:00 with Alex" in chat.choices  # one line a time: whoever comes first
    chat.say("17:00 with Jordan")  # Jordan's 17:00, not Alex's
    assert "Haircut (45 min) with Jordan, tomorrow (Tue 1 Dec) at 17:00" in chat.text
    chat.say("yes")
    chat.say("Kim Lee")
    assert booked(session_factory) == ["Haircut with Jordan, Tue 1 Dec 17:00, Kim Lee"]
