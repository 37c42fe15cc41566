"""A time picked for a move is held while the client confirms, as a booking's is (issue 12).

Through `POST /api/v1/chat` on the demo salon (config/demo.yaml), Monday 30 November 2026 08:00 London.
"""
from __future__ import annotations

from tests.chat_helpers import Chat, appointments, demo_fixture  # noqa: F401  (fixtures)
from tests.factories import at

LDN = "Europe/London"


def book(chat: Chat, text: str, name: str) -> None:
    chat.say(text)
    assert "Shall I book it?" in chat.text
    chat.say("yes")
    chat.say(name)
    assert "Booked!" in chat.text


def test_the_time_picked_for_a_move_is_held_from_others_until_the_move_is_confirmed(demo, session_factory):
    ana, ben = Chat(demo), Chat(demo)
    book(ana, "haircut with sam tomorrow at 10", "Ana Souza")
    ana.say("move my haircut to thursday at 2pm")
    assert "Haircut (45 min) with Sam, Thu 3 Dec at 14:00 London time. Shall I move it?" in ana.text

    ben.say("haircut with sam on thursday at 2pm")
    assert "14:00 isn't free" in ben.text
    assert not any(label.startswith("14:00") for label in ben.choices)
    ben.say("what's free for a haircut with sam on thursday afternoon?")
    assert "14:00" not in ben.choices and "13:45" not in ben.choices  # 13:45 would run into it

    ana.pick("Yes, move it")
    assert "Done: your Haircut is moved to Thu 3 Dec at 14:00 London time." in ana.text
    [row] = appointments(session_factory)
    assert (row.start_at, row.status) == (at(LDN, 2026, 12, 3, 14), "confirmed")


def test_saying_no_to_a_move_lets_the_time_go_at_once(demo, session_factory):
    ana, ben = Chat(demo), Chat(demo)
    book(ana, "haircut with sam tomorrow at 10", "Ana Souza")
    ana.say("move my haircut to thursday at 2pm")
    assert "Shall I move it?" in ana.text
    ana.say("start over")
    ben.say("haircut with sam on thursday at 2pm")
    assert "Shall I book it?" in ben.text
    [row] = appointments(session_factory)
    assert row.start_at == at(LDN, 2026, 12, 1, 10)


def test_a_move_to_a_time_that_overlaps_its_own_is_held_and_made(demo, session_factory):
    ana, ben = Chat(demo), Chat(demo)
    book(ana, "haircut with sam tomorrow at 10", "Ana Souza")
    ana.say("could we make it half an hour later?")
    assert "at 10:30 London time. Shall I move it?" in ana.text
    ben.say("beard trim with sam tomorrow at 11")  # inside the time held for the move
    assert "11:00 isn't free" in ben.text
    ana.say("yes")
    assert "moved to tomorrow (Tue 1 Dec) at 10:30" in ana.text
    assert [row.start_at for row in appointments(session_factory)] == [at(LDN, 2026, 12, 1, 10, 30)]

