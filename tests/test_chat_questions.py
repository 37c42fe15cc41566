"""Questions answered from the business's own data, through POST /api/v1/chat, on the demo salon.

The clock is Monday 30 November 2026, 08:00 in London. The demo salon (config/demo.yaml): Sam does
Haircut, Colour and Beard trim, Mon-Fri 09:00-17:30 and Sat 09:00-13:00; Alex Haircut, Colour and
Blow-dry, Tue-Sat 10:00-18:00; Jordan Haircut, Beard trim and Blow-dry, Mon-Thu 12:00-20:00 and Fri
09:00-15:00, off Thu 24 Dec and 28 Dec-1 Jan. Prices in GBP. No question starts a booking, and a
question in the middle of one is answered and the booking goes on.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.booking.business_file import load_business
from core.db.session import UnitOfWork
from tests import receptionist
from tests.chat_helpers import Chat, appointments, web_client
from tests.factories import FixedClock, at

LDN = "Europe/London"


@pytest.fixture(name="demo")
def demo_fixture(engine, redis_client, session_factory, tmp_path: Path) -> Iterator[TestClient]:
    receptionist.load_demo(session_factory)
    with web_client(engine, redis_client, FixedClock(receptionist.NOW), tmp_path) as client:
        yield client


def change_business(session_factory, spec: dict) -> None:
    with UnitOfWork(session_factory, write=True) as uow:
        load_business(uow.session, spec)
        uow.commit()


def test_a_price_question_is_answered_not_booked(demo, session_factory):
    chat = Chat(demo)
    chat.say("what does a blow-dry cost?")
    assert chat.text.startswith("A Blow-dry is £25 and takes 30 min.")
    assert "When would you like" not in chat.text and chat.choices == ["Book a Blow-dry"]
    chat.say("how much is a colour")
    assert "A Colour is £85 and takes 90 min." in chat.text
    chat.say("how long does a haircut take?")
    assert "A Haircut is £35 and takes 45 min." in chat.text
    chat.pick("Book a Haircut")  # the offer to book goes on from the answer
    assert "When would you like your Haircut?" in chat.text
    assert appointments(session_factory) == []


def test_the_services_with_prices_and_durations(demo, session_factory):
    chat = Chat(demo)
    chat.say("what services do you have?")
    for line in ("Haircut: £35, 45 min", "Colour (Full colour, toner and blow-dry): £85, 90 min",
                 "Beard trim: £15, 20 min", "Blow-dry: £25, 30 min"):
        assert line in chat.text
    assert chat.choices == ["Haircut (45 min)", "Colour (90 min)", "Beard trim (20 min)", "Blow-dry (30 min)"]
    chat.say("what do you do?")
    assert "Here's what we do" in chat.text
    assert appointments(session_factory) == []


def test_no_currency_set_means_no_symbol_made_up(demo, session_factory):
    change_business(session_factory, {"business": {"currency": None}})
    chat = Chat(demo)
    chat.say("how much is a haircut?")
    assert "A Haircut is 35 and takes 45 min." in chat.text and "£" not in chat.text


def test_opening_hours_and_closed_days(demo, session_factory):
    chat = Chat(demo)
    chat.say("do you open on sundays?")
    assert chat.text.startswith("We're closed on Sundays.")
    chat.say("when do you shut on saturday?")
    assert chat.text.startswith("On Saturdays we're open 09:00-18:00 (Sam until 13:00).")
    chat.say("what are your opening hours?")
    assert chat.text.startswith("We're open Mon-Thu 09:00-20:00, Fri-Sat 09:00-18:00; closed on Sundays.")
    chat.say("are you open on christmas eve?")
    assert "On Thu 24 Dec we're open 09:00-18:00 (Sam until 17:30, Alex from 10:00, Jordan off)." in chat.text
    assert "What would you like to book" not in chat.text and appointments(session_factory) == []


def test_a_providers_days_off_and_time_off(demo, session_factory):
    chat = Chat(demo)
    chat.say("is Alex working on monday?")
    assert chat.text == "Alex doesn't work on Mondays."
    chat.say("is jordan in on christmas eve?")
    assert chat.text == "Jordan is off on Thu 24 Dec."
    chat.say("is Jordan working on 29 december?")  # time off, not a day off
    assert chat.text == "Jordan is off on Tue 29 Dec."
    chat.say("is Alex working on new year's eve?")
    assert chat.text == "Yes, Alex is in on Thu 31 Dec, 10:00-18:00."
    chat.say("when does jordan work?")
    assert chat.text == ("Jordan works Mon-Thu 12:00-20:00, Fri 09:00-15:00; "
                         "off Thu 24 Dec and Mon 28 Dec-Fri 1 Jan.")
    assert appointments(session_factory) == []


def test_what_is_free_on_a_day_names_the_day_and_books_on_it(demo, session_factory):
    chat = Chat(demo)
    chat.say("what's free on saturday?")
    assert chat.text == "On Sat 5 Dec, which service would you like?"
    assert chat.choices == ["Haircut (45 min)", "Colour (90 min)", "Beard trim (20 min)", "Blow-dry (30 min)"]
    chat.pick("Blow-dry")
    assert "Sat 5 Dec" in chat.text
    chat.pick("11:00")
    chat.say("yes")
    chat.say("Gillian Anderson")
    [row] = appointments(session_factory)
    assert row.start_at == at(LDN, 2026, 12, 5, 11) and row.status == "confirmed"


def test_what_is_free_on_a_closed_day_says_so(demo):
    chat = Chat(demo)
    chat.say("what's free on sunday?")
    assert chat.text.startswith("We're closed on Sun 6 Dec")


def test_small_talk_gets_one_friendly_line(demo, session_factory):
    chat = Chat(demo)
    chat.say("hello there! lovely weather today")
    assert chat.text == "Hi! I'm the booking assistant for Studio Nine Hair Salon, here to help. What can I do for you?"
    chat.say("how are you?")
    assert chat.text == "I'm very well, thanks for asking! How can I help?" and chat.choices == []
    chat.say("thanks!")
    assert chat.text == "You're welcome! Anything I can help with?" and chat.choices == []
    assert appointments(session_factory) == []


def to_summary(chat: Chat, text: str, clock: str) -> None:
    """Ask for a time and get to "Shall I book it?" (tapping the time when times are shown first)."""
    chat.say(text)
    if "book it?" not in chat.text.lower():
        chat.pick(clock)
    assert "book it?" in chat.text.lower()


def test_a_question_in_the_middle_of_a_booking_is_answered_and_the_booking_goes_on(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with sam tomorrow at 10")
    if "book it?" not in chat.text.lower():
        shown = chat.choices
        chat.say("what does a colour cost?")
        assert "A Colour is £85 and takes 90 min." in chat.text and chat.choices == shown
        assert "Book a Colour" not in chat.choices
        chat.pick("10:00")
    chat.say("how much is it?")
    assert "A Haircut is £35 and takes 45 min." in chat.text and "Shall I go ahead?" in chat.text
    assert chat.choices[0].startswith("Yes")
    other = Chat(demo)
    other.say("haircut with sam tomorrow at 10")
    assert "10:00" not in other.choices  # still held for the first client
    chat.say("hello")
    assert "Where were we? Shall I go ahead?" in chat.text
    chat.say("yes")
    chat.say("Dana Scully")
    [row] = appointments(session_factory)
    assert row.start_at == at(LDN, 2026, 12, 1, 10)


def test_have_is_not_shave(demo, session_factory):
    chat = Chat(demo)
    chat.say("which bookings do I have?")
    assert "no upcoming appointments" in chat.text
    chat.say("have you got anything friday for a haircut?")
    assert "Haircut" in chat.text and "Fri 4 Dec" in chat.text and "Beard trim" not in chat.text


@pytest.mark.parametrize("yes", ["👍", "go ahead", "sounds good", "yes please", "perfect"])
def test_more_ways_to_say_yes(demo, session_factory, yes):
    chat = Chat(demo)
    to_summary(chat, "beard trim with jordan tomorrow at 1pm", "13:00")
    chat.say(yes)
    chat.say("Fox Mulder")
    [row] = appointments(session_factory)
    assert row.start_at == at(LDN, 2026, 12, 1, 13)


@pytest.mark.parametrize("no", ["nope", "nah", "👎", "not really"])
def test_more_ways_to_say_no(demo, session_factory, no):
    chat = Chat(demo)
    to_summary(chat, "haircut with sam wednesday at 3pm", "15:00")
    chat.say(no)
    assert "other times" in chat.text and appointments(session_factory) == []


def test_digits_in_names_are_not_times(demo, session_factory):
    change_business(session_factory, {"resources": [{"name": "Room 12"}],
                                      "services": [{"name": "Check", "duration": 30, "resources": ["Room 12"]}],
                                      "providers": [{"name": "P1", "services": ["Check"],
                                                     "hours": {"mon-sat": "09:00-18:00"}}]})
    chat = Chat(demo)
    to_summary(chat, "a check with P1 tomorrow at 3pm", "15:00")
    chat.say("yes")
    chat.say("Fox Mulder")
    to_summary(chat, "a check in room 12 on friday at 10am", "10:00")
    chat.say("yes")
    assert [a.start_at for a in appointments(session_factory)] == [at(LDN, 2026, 12, 1, 15), at(LDN, 2026, 12, 4, 10)]


def test_now_in_passing_is_not_a_time(demo, session_factory):
    chat = Chat(demo)
    chat.say("I've been coming for years now, can I book a beard trim")
    assert "When would you like your Beard trim?" in chat.text
    to_summary(chat, "I've been coming for years now, can I book a beard trim with sam on friday at 10", "10:00")
    chat.say("yes")
    chat.say("Melvin Frohike")
    [row] = appointments(session_factory)
    assert row.start_at == at(LDN, 2026, 12, 4, 10)


def test_a_date_that_cannot_be_is_named_and_the_day_asked_again(demo, session_factory):
    chat = Chat(demo)
    chat.say("a haircut at 26:00 on 30 february")
    assert chat.text.startswith("Sorry, there is no 30 February.") and "When would you like your Haircut?" in chat.text
    chat.say("a beard trim with jordan on 31 november")
    assert chat.text.startswith("Sorry, there is no 31 November.")
    assert "When would you like your Beard trim?" in chat.text
    assert appointments(session_factory) == []


def test_beyond_the_booking_horizon_says_the_horizon(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with alex in 3 months")
    assert chat.text.startswith("Sorry, we take bookings up to 60 days ahead (until Fri 29 Jan).")
    assert "When would you like your Haircut?" in chat.text
    chat.say("beard trim with sam on 15 february")
    assert "up to 60 days ahead" in chat.text and appointments(session_factory) == []
