"""Two turns when possible, and offers that say their day (issue 11), through POST /api/v1/chat on the
demo salon, checked against the appointment rows.

The exact time asked for, when free, is held and summed up at once ("Shall I book it?"); the name is
asked only the first time and can come in the same message. When nothing is free on the day asked, a
closed day or a provider's day off is named, and the nearest times say their day in every label.
The clock is Monday 30 November 2026, 08:00 in London; see tests/test_chat_questions.py for the salon.
"""
from __future__ import annotations

from tests.chat_helpers import Chat, demo_fixture, user_named  # noqa: F401  (fixtures)
from tests.receptionist import booked


def times(chat: Chat) -> list[str]:
    return [c for c in chat.choices if c not in ("Later", "Another day")]


def test_the_exact_time_free_is_held_and_summed_up_at_once(demo, session_factory):
    chat, other = Chat(demo), Chat(demo)
    chat.say("beard trim with jordan tomorrow at 1pm")
    assert chat.text == "Beard trim (20 min) with Jordan, tomorrow (Tue 1 Dec) at 13:00 London time. Shall I book it?"
    assert chat.choices == ["Yes, book it", "No, other times"]
    other.say("beard trim with jordan tomorrow at 1pm")
    assert "13:00 isn't free" in other.text  # held for the first
    chat.say("yes")
    assert "What name" in chat.text
    chat.say("Maria Garcia")
    assert booked(session_factory) == ["Beard trim with Jordan, Tue 1 Dec 13:00, Maria Garcia"]


def test_the_name_in_the_first_message_makes_two_turns(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with sam tomorrow at 10, it's Maria Garcia")
    assert "Shall I book it?" in chat.text
    chat.say("yes")
    assert chat.text.startswith("Booked!")
    assert booked(session_factory) == ["Haircut with Sam, Tue 1 Dec 10:00, Maria Garcia"]


def test_yes_and_the_name_in_one_message_and_a_returning_client_is_not_asked_again(demo, session_factory):
    chat = Chat(demo)
    chat.say("colour with sam friday at 2pm")
    chat.say("yes book it, name's Tom Baker")
    assert chat.text.startswith("Booked! Colour with Sam, Fri 4 Dec at 14:00")
    chat.say("blow dry with jordan thursday at 6pm")
    chat.say("yes")
    assert chat.text.startswith("Booked!")
    assert booked(session_factory) == ["Blow-dry with Jordan, Thu 3 Dec 18:00, Tom Baker",
                                       "Colour with Sam, Fri 4 Dec 14:00, Tom Baker"]
    assert user_named(session_factory, "Tom Baker") is not None


def test_everyday_words_after_its_are_no_name(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with sam tomorrow at 10, it's fine")
    chat.say("yes")
    assert "What name" in chat.text
    chat.say("Ana Souza")
    assert booked(session_factory) == ["Haircut with Sam, Tue 1 Dec 10:00, Ana Souza"]


def test_a_closed_day_is_named_and_every_label_says_the_day(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with sam on sunday")
    assert chat.text.startswith("We're closed on Sundays. The nearest free times on Mon 7 Dec are")
    assert times(chat) and all(label.startswith("Mon 7 Dec ") for label in times(chat)), chat.choices
    chat.pick("Mon 7 Dec 09:00")
    chat.say("yes")
    chat.say("Ana Souza")
    assert booked(session_factory) == ["Haircut with Sam, Mon 7 Dec 09:00, Ana Souza"]


def test_a_providers_day_off_is_named(demo, session_factory):
    chat = Chat(demo)
    chat.say("a colour with alex on monday")
    assert chat.text.startswith("Alex doesn't work on Mondays. The nearest free times on Tue 8 Dec are")
    assert all(label.startswith("Tue 8 Dec ") for label in times(chat)), chat.choices
    chat.say("a beard trim with jordan on christmas eve at 2pm")
    assert chat.text.startswith("Jordan is off on Thu 24 Dec. The nearest free times on Fri 25 Dec are")
    assert "Fri 25 Dec 14:00" in times(chat)  # the same clock time on the nearest day
    assert booked(session_factory) == []


def test_a_hold_covers_the_buffer(demo, session_factory):
    first, second = Chat(demo), Chat(demo)
    first.say("haircut with sam tomorrow at 10")  # 45 min and 15 min clean-up: held to 11:00
    second.say("beard trim with sam tomorrow at 10:45")
    assert "10:45 isn't free" in second.text and "11:00" in second.choices
    first.say("yes")
    first.say("Dana Scully")
    assert booked(session_factory) == ["Haircut with Sam, Tue 1 Dec 10:00, Dana Scully"]


def test_the_time_asked_for_taken_offers_the_nearest(demo, session_factory):
    other, chat = Chat(demo), Chat(demo)
    other.say("haircut with sam tomorrow at 10, it's Someone Else")
    other.say("yes")
    chat.say("haircut with sam tomorrow at 10")
    assert "10:00 isn't free, sorry. The nearest free times tomorrow (Tue 1 Dec) are" in chat.text
    chat.pick("11:00")
    chat.say("yes")
    chat.say("Ana Souza")
    assert booked(session_factory) == ["Haircut with Sam, Tue 1 Dec 10:00, Someone Else",
                                       "Haircut with Sam, Tue 1 Dec 11:00, Ana Souza"]


def test_no_at_the_summary_shows_other_times_and_lets_the_time_go(demo, session_factory):
    chat, other = Chat(demo), Chat(demo)
    chat.say("haircut with sam wednesday at 3pm")
    chat.say("nope")
    assert "other times" in chat.text and "15:00" in chat.choices
    other.say("haircut with sam wednesday at 3pm")
    assert "Shall I book it?" in other.text
    assert booked(session_factory) == []
