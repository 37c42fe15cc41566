"""Several people in one request (issue 11), through POST /api/v1/chat on the demo salon, checked
against the appointment rows and the clients they are booked under.

"Two haircuts at 2, for me and my son" books two appointments, side by side with two providers or
back-to-back with the one asked for, each under its own name; "and one more for my daughter" after a
booking offers the same service near the same time. Someone booked for is a client of their own,
with no chat, phone or email: their messages go to the client who booked for them.
"""
from __future__ import annotations

from core.db.models import User
from core.db.session import UnitOfWork
from core.notifications import contacts
from tests.chat_helpers import Chat, appointments, demo_fixture, user_named  # noqa: F401  (fixtures)
from tests.receptionist import booked


def test_two_people_side_by_side_each_under_their_own_name(demo, session_factory):
    chat = Chat(demo)
    chat.say("two haircuts tomorrow at 2pm, for me and my son")
    assert "Two Haircuts (45 min each), tomorrow (Tue 1 Dec) (London time):" in chat.text
    assert "• 14:00 with Sam, for you\n• 14:00 with Alex, for your son\nShall I book them?" in chat.text
    other = Chat(demo)
    other.say("haircut with alex tomorrow at 2pm")
    assert "14:00 isn't free" in other.text  # held for the son while they confirm
    chat.say("yes")
    assert "What name should I put your booking under?" in chat.text
    chat.say("Ana Souza")
    assert "And what's your son's name?" in chat.text
    chat.say("Leo Souza")
    assert chat.text.startswith("Booked! Two Haircuts")
    assert "Leo Souza's confirmations and reminders will come to you." in chat.text
    assert booked(session_factory) == ["Haircut with Alex, Tue 1 Dec 14:00, Leo Souza",
                                       "Haircut with Sam, Tue 1 Dec 14:00, Ana Souza"]
    ana, leo = user_named(session_factory, "Ana Souza"), user_named(session_factory, "Leo Souza")
    assert (leo.booker_id, leo.phone, leo.email, leo.role) == (ana.id, None, None, "client")
    with UnitOfWork(session_factory) as uow:  # Leo is reached through Ana's own chat
        assert contacts.reach(uow.session, leo.id).addresses == contacts.reach(uow.session, ana.id).addresses
    chat.say("my appointments")
    assert "Haircut with Alex, tomorrow (Tue 1 Dec) at 14:00, for Leo Souza" in chat.text


def test_with_one_provider_they_are_back_to_back(demo, session_factory):
    chat = Chat(demo)
    chat.say("two beard trims with sam on friday at 10 for me and my husband, it's Ana Souza")
    # 20 minutes each, and times start on the quarter hour: the next one at 10:30
    assert "• 10:00 with Sam, for you\n• 10:30 with Sam, for your husband" in chat.text
    chat.say("yes")
    chat.say("his name is Rui Souza")
    assert booked(session_factory) == ["Beard trim with Sam, Fri 4 Dec 10:00, Ana Souza",
                                       "Beard trim with Sam, Fri 4 Dec 10:30, Rui Souza"]


def test_one_more_for_someone_else_after_a_booking(demo, session_factory):
    chat = Chat(demo)
    chat.say("haircut with alex friday at 11")
    chat.say("yes")
    chat.say("Maria Lopez")
    chat.say("and one more for my daughter please")
    assert "Haircut (45 min) with Sam, Fri 4 Dec at 11:00 London time, for your daughter. Shall I book it?" \
        in chat.text
    chat.say("yes")
    assert "And what's your daughter's name?" in chat.text
    chat.say("Sofia Lopez")
    assert booked(session_factory) == ["Haircut with Alex, Fri 4 Dec 11:00, Maria Lopez",
                                       "Haircut with Sam, Fri 4 Dec 11:00, Sofia Lopez"]
    chat.say("one more for my son")
    assert "Haircut (45 min) with Jordan, Fri 4 Dec at 11:00 London time, for your son." in chat.text
    chat.say("yes")
    chat.say("Tom Lopez")
    chat.say("and my wife too")  # nobody is free at 11:00 any more: just after, with the same provider
    assert "Haircut (45 min) with Jordan, Fri 4 Dec at 12:00 London time, for your wife." in chat.text
    chat.say("no")
    assert len(appointments(session_factory)) == 3
    assert "Tom Lopez" in booked(session_factory)[1]


def test_no_lets_every_held_time_go(demo, session_factory):
    chat, other = Chat(demo), Chat(demo)
    chat.say("two haircuts tomorrow at 2pm for me and my son")
    chat.say("no")
    other.say("haircut with alex tomorrow at 2pm")
    assert "Shall I book it?" in other.text
    other.say("start over")
    other.say("haircut with sam tomorrow at 2pm")
    assert "Shall I book it?" in other.text
    with session_factory() as s:
        assert s.query(User).filter(User.role == "client").count() == 0
