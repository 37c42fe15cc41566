"""Whole conversations through POST /api/v1/chat, each checked against the appointment rows they leave.

The clock is Monday 30 November 2026, 08:00 in London; the salon (tests/factories.py) has Sam
and Alex, 09:00-17:00 Monday to Friday with lunch 12:00-13:00, and a Haircut (45 min + 15 min
clean-up), a Colour (90 min, needs the one colour room) and a Beard trim (20 min).
"""
from __future__ import annotations

from datetime import timedelta

from core.booking.commands import Book
from core.db.models import WaitlistEntry
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    Chat, appointments, clock_fixture, container_fixture, salon_fixture, user_named, web_fixture,
)
from tests.factories import at

LDN = "Europe/London"
TUE = (2026, 12, 1)


def book_haircut_tomorrow_at_4(chat: Chat, name: str | None = "Ana Souza") -> None:
    chat.say("a haircut with Sam tomorrow after 4")
    chat.pick("16:00")
    chat.pick("Yes")
    if name:
        assert "What name" in chat.text
        chat.say(name)


def book_haircut_and_beard_trim(chat: Chat) -> None:
    """Tomorrow 16:00 haircut and Thursday 11:00 beard trim, both with Sam."""
    book_haircut_tomorrow_at_4(chat)
    chat.say("beard trim thursday at 11")  # the exact time is free: straight to "Shall I book it?"
    assert "Beard trim (20 min) with Sam, Thu 3 Dec at 11:00 London time. Shall I book it?" in chat.text
    chat.pick("Yes")


def test_happy_path_all_facts_in_one_message(web, session_factory, salon):
    chat = Chat(web)
    chat.say("a haircut with Sam tomorrow after 4")
    assert "Haircut with Sam tomorrow (Tue 1 Dec) (London time)" in chat.text
    assert chat.choices[:2] == ["16:00", "16:15"]  # 16:30 would end after closing
    chat.pick("16:00")
    assert "Haircut (45 min) with Sam, tomorrow (Tue 1 Dec) at 16:00 London time. Shall I book it?" in chat.text
    chat.pick("Yes")
    assert "What name" in chat.text
    chat.say("Ana Souza")
    [row] = appointments(session_factory)
    assert (row.provider_id, row.service_id, row.start_at, row.status) == (
        salon.sam, salon.haircut, at(LDN, *TUE, 16), "confirmed")
    assert f"Your confirmation code is {row.confirmation_code}" in chat.text
    assert user_named(session_factory, "Ana Souza").id == row.client_id
    assert row.channel == "web"


def test_asks_only_for_what_is_missing(web, session_factory, salon):
    chat = Chat(web)
    chat.say("I'd like to book an appointment")
    assert "What would you like to book?" in chat.text
    assert chat.choices == ["Haircut (45 min)", "Colour (90 min)", "Beard trim (20 min)"]
    chat.pick("Haircut")
    assert "When would you like your Haircut?" in chat.text
    chat.say("tomorrow morning")
    assert "09:00 with Sam" in chat.choices
    chat.say("10:00")  # typing the time picks the offered slot
    assert "tomorrow (Tue 1 Dec) at 10:00" in chat.text
    chat.say("yes")
    chat.say("my name is Ben")
    [row] = appointments(session_factory)
    assert row.start_at == at(LDN, *TUE, 10)
    assert user_named(session_factory, "Ben") is not None


def test_synonyms_typos_and_half_past(web, session_factory, salon):
    chat = Chat(web)
    chat.say("can I get a hiarcut on Wednesday at half 3 with Alex?")
    assert "Haircut (45 min) with Alex, Wed 2 Dec at 15:30 London time. Shall I book it?" in chat.text
    chat.pick("Yes")
    chat.say("Cleo")
    [row] = appointments(session_factory)
    assert (row.service_id, row.provider_id, row.start_at) == (salon.haircut, salon.alex, at(LDN, 2026, 12, 2, 15, 30))


def test_trim_means_haircut_and_beard_means_beard_trim(web, session_factory, salon):
    chat = Chat(web)
    chat.say("just a trim tomorrow at 9 please")
    assert chat.text.startswith("Haircut (45 min)")
    chat.say("start over")
    chat.say("beard tomorrow at 9")
    assert chat.text.startswith("Beard trim (20 min)")
    assert appointments(session_factory) == []


def test_name_is_asked_once_and_remembered(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_tomorrow_at_4(chat)
    chat.say("and a beard trim on thursday at 11")
    chat.pick("Yes")
    assert "What name" not in chat.text and "Booked!" in chat.text
    assert len(appointments(session_factory)) == 2


def test_no_later_pages_on_and_no_other_day_asks_again(web, session_factory, salon):
    chat = Chat(web)
    chat.say("haircut with Sam on Wednesday")
    first = chat.choices[:5]
    assert first[0] == "09:00"
    chat.say("later")
    assert chat.choices[0] not in first and chat.choices[0] > first[-1]
    chat.pick(chat.choices[0])
    chat.say("no, later")  # at the confirmation: show later times instead
    assert "Shall I book" not in chat.text and "Later" in chat.choices
    chat.pick("Another day")
    assert "Which day" in chat.text
    chat.say("friday")
    assert "Fri 4 Dec" in chat.text
    assert appointments(session_factory) == []


def test_correction_of_provider_and_day_mid_flow(web, session_factory, salon):
    chat = Chat(web)
    chat.say("haircut tomorrow at 10")
    assert "Haircut (45 min) with Sam, tomorrow (Tue 1 Dec) at 10:00" in chat.text
    chat.say("actually with Alex")
    assert "with Alex, tomorrow (Tue 1 Dec) at 10:00" in chat.text
    chat.say("make it wednesday")  # a day alone keeps the time asked for
    assert "with Alex, Wed 2 Dec at 10:00" in chat.text
    other = Chat(web)  # the times let go by the corrections are free again at once
    other.say("haircut with Sam tomorrow at 10")
    assert "Shall I book it?" in other.text
    chat.say("yes")
    chat.say("Dan")
    [row] = appointments(session_factory)
    assert (row.provider_id, row.start_at) == (salon.alex, at(LDN, 2026, 12, 2, 10))


def test_slot_taken_before_the_pick_is_told_and_reoffered(web, container, session_factory, salon):
    chat = Chat(web)
    chat.say("haircut with Sam tomorrow morning")
    container.booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10)))
    chat.pick("10:00")
    assert "someone else has just taken that time" in chat.text
    assert "10:00" not in chat.choices
    assert [a.client_id for a in appointments(session_factory)] == [salon.clients[0]]


def test_slot_taken_after_the_hold_expired_is_told_at_yes(web, container, clock, session_factory, salon):
    chat = Chat(web)
    chat.say("haircut with Sam tomorrow at 10")  # free: held at once
    assert "Shall I book it?" in chat.text
    clock.now += timedelta(minutes=6)  # the 5-minute hold runs out while they think
    container.booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10)))
    chat.pick("Yes")
    chat.say("Eve")
    assert "someone else booked that time a moment ago" in chat.text
    assert len(appointments(session_factory)) == 1


def test_a_held_slot_is_not_offered_to_someone_else(web, session_factory, salon):
    first, second = Chat(web), Chat(web)
    first.say("haircut with Sam tomorrow at 10")
    assert "Shall I book it?" in first.text
    second.say("haircut with Sam tomorrow at 10")
    assert "10:00" not in second.choices and "10:00 isn't free" in second.text
    first.pick("Yes")
    first.say("Fay")
    assert len(appointments(session_factory)) == 1


def test_cancel_one_of_several(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_and_beard_trim(chat)
    chat.say("cancel my appointment")
    assert "Which appointment" in chat.text
    chat.pick("Beard trim")
    assert "Cancel your Beard trim with Sam, Thu 3 Dec at 11:00" in chat.text
    chat.pick("Yes, cancel")
    haircut, beard = appointments(session_factory)
    assert (haircut.status, beard.status) == ("confirmed", "cancelled")
    assert beard.late_cancellation is False and "Cancelled" in chat.text


def test_cancel_named_by_service_goes_straight_to_confirm_and_no_keeps_it(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_and_beard_trim(chat)
    chat.say("I need to cancel my haircut")
    assert "Cancel your Haircut with Sam" in chat.text
    chat.say("no")
    assert "kept it" in chat.text
    assert [a.status for a in appointments(session_factory)] == ["confirmed", "confirmed"]


def test_cancel_by_confirmation_code_and_late_cancellation(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_and_beard_trim(chat)
    code = appointments(session_factory)[0].confirmation_code
    chat.say(f"please cancel {code}")
    chat.say("yes")
    first, second = appointments(session_factory)
    assert (first.status, second.status) == ("cancelled", "confirmed")
    assert first.late_cancellation is False  # 32 hours ahead, outside the 24 h window


def test_reschedule_one_of_several_with_the_time_in_the_message(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_and_beard_trim(chat)
    chat.say("move my haircut to friday at 11")  # the time is free: straight to "Shall I move it?"
    assert "Haircut (45 min) with Sam, Fri 4 Dec at 11:00 London time. Shall I move it?" in chat.text
    chat.pick("Yes, move it")
    haircut, beard = appointments(session_factory)
    assert (haircut.start_at, haircut.version, haircut.status) == (at(LDN, 2026, 12, 4, 11), 2, "confirmed")
    assert beard.start_at == at(LDN, 2026, 12, 3, 11) and beard.version == 1
    assert "moved to Fri 4 Dec at 11:00" in chat.text


def test_reschedule_from_the_menu_asks_when(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_tomorrow_at_4(chat)
    chat.pick("My appointments")
    chat.pick("Move one")
    assert "When would you like to move" in chat.text  # only one: no need to ask which
    chat.pick("Next week")
    chat.pick(chat.choices[0])
    chat.pick("Yes")
    [row] = appointments(session_factory)
    assert row.start_at.date() >= at(LDN, 2026, 12, 7, 0).date() and row.version == 2


def test_my_appointments_lists_them_with_codes(web, session_factory, salon):
    chat = Chat(web)
    chat.say("my appointments")
    assert "no upcoming appointments" in chat.text
    book_haircut_tomorrow_at_4(chat)
    chat.say("what have I booked?")
    code = appointments(session_factory)[0].confirmation_code
    assert f"Haircut with Sam, tomorrow (Tue 1 Dec) at 16:00 (code {code})" in chat.text


def test_whats_free_on_a_closed_day_shows_the_next_open_one(web, session_factory, salon):
    chat = Chat(web)
    chat.say("what's free on saturday?")
    assert "We're closed on Sat 5 Dec" in chat.text and "Which service would you like?" in chat.text
    chat.say("beard")  # the closed day is named, and the times after it say their day
    assert "We're closed on Saturdays. The nearest free times on Mon 7 Dec are" in chat.text
    times = [c for c in chat.choices if c not in ("Later", "Another day")]
    assert times and all(c.startswith("Mon 7 Dec ") for c in times), times
    chat.pick(chat.choices[0])
    assert "Mon 7 Dec at 09:00" in chat.text
    assert appointments(session_factory) == []


def test_nonsense_gets_help_and_changes_nothing(web, session_factory, salon):
    chat = Chat(web)
    chat.say("asdf qwerty")
    assert "didn't catch that" in chat.text and "Book an appointment" in chat.choices
    chat.say("haircut tomorrow at 10")
    offered = chat.choices
    chat.say("banana")  # the question is asked again, the time still held
    assert "didn't catch that" in chat.text and chat.choices == offered and "Shall I book it?" in chat.text
    assert appointments(session_factory) == []


def test_greeting_help_thanks_and_start_over(web, session_factory, salon):
    chat = Chat(web)
    chat.say("hello")
    assert "booking assistant for Test salon" in chat.text
    chat.say("help")
    assert "I can book, move or cancel" in chat.text
    chat.say("haircut tomorrow")
    chat.say("start over")
    assert "start again" in chat.text
    chat.say("10:00")  # no slots on show any more: not a pick
    assert "Shall I book" not in chat.text
    chat.say("thanks!")
    assert "welcome" in chat.text
    assert appointments(session_factory) == []


def test_a_repeated_message_id_is_answered_once(web, session_factory, salon):
    chat = Chat(web)
    chat.say("haircut with Sam tomorrow at 10")
    assert "What name" in chat.say("yes", message_id="m2")[0]["text"]
    assert chat.say("yes", message_id="m2") == []
    chat.say("Gus", message_id="m3")
    assert chat.say("Gus", message_id="m3") == []
    assert len(appointments(session_factory)) == 1


def test_a_double_tap_on_yes_books_once(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_tomorrow_at_4(chat)
    yes = {"session": chat.session, "choice": "yes"}
    again = web.post("/api/v1/chat", json=yes).json()["replies"]
    assert "earlier step" in again[0]["text"]
    assert len(appointments(session_factory)) == 1


def test_waiting_list_when_nothing_fits(web, container, session_factory, salon):
    from core.booking import setup_writes
    from core.db.session import UnitOfWork

    with UnitOfWork(session_factory, write=True) as uow:
        setup_writes.add_time_off(uow.session, provider_id=salon.sam, start=at(LDN, 2026, 11, 30, 0),
                             end=at(LDN, 2027, 1, 4, 0), reason="sabbatical")
        uow.commit()
    chat = Chat(web)
    chat.say("a haircut with Sam next week")
    assert "waiting list" in chat.text
    chat.pick("Yes")
    assert "You're on the waiting list" in chat.text
    with session_factory() as s:
        [entry] = s.query(WaitlistEntry).all()
        assert (entry.service_id, entry.provider_id, entry.window_start) == (
            salon.haircut, salon.sam, at(LDN, 2026, 12, 7, 0))
    chat.say("my appointments")
    assert "Waiting list: Haircut" in chat.text
    assert appointments(session_factory) == []


def test_provider_who_does_not_offer_the_service(web, session_factory, salon):
    with session_factory() as s:
        from core.db.models import Provider

        alex = s.get(Provider, salon.alex)
        alex.services = [sv for sv in alex.services if sv.id != salon.colour]
        s.commit()
    chat = Chat(web)
    chat.say("a colour with Alex on thursday")
    assert "Alex doesn't do Colour; Sam does." in chat.text
    assert all("Alex" not in c for c in chat.choices)


def test_conversation_continues_on_another_web_process(engine, redis_client, clock, salon, session_factory,
                                                       tmp_path):
    from fastapi.testclient import TestClient

    from config.settings import Settings
    from slotline.bootstrap import build
    from webhooks.app import create_app

    def process():
        settings = Settings(SLOTLINE_ADMIN_TOKEN="t", SLOTLINE_DATA_DIR=str(tmp_path))
        return TestClient(create_app(build(settings, redis=redis_client, engine=engine, clock=clock)))

    one, two = process(), process()
    Chat(one, "shared").say("haircut with Sam tomorrow morning")
    on_two = Chat(two, "shared")
    on_two.say("10:00")
    assert "Shall I book it?" in on_two.text
    on_two.say("yes")
    on_two.say("Hal")
    assert len(appointments(session_factory)) == 1


def test_dst_day_booking_is_at_the_right_instant(engine, redis_client, session_factory, tmp_path):
    from fastapi.testclient import TestClient

    from config.settings import Settings
    from slotline.bootstrap import build
    from tests.factories import FixedClock, make_salon
    from webhooks.app import create_app

    make_salon(session_factory, hours={"mon-sun": "09:00-17:00"})
    clock = FixedClock(at(LDN, 2027, 3, 25, 8))  # Thursday before the clocks go forward on Sunday 28 March
    settings = Settings(SLOTLINE_ADMIN_TOKEN="t", SLOTLINE_DATA_DIR=str(tmp_path))
    web = TestClient(create_app(build(settings, redis=redis_client, engine=engine, clock=clock)))
    chat = Chat(web)
    chat.say("a haircut with Sam on sunday at 10am")
    assert "Sun 28 Mar at 10:00" in chat.text and "Shall I book it?" in chat.text
    chat.pick("Yes")
    chat.say("Ivy")
    [row] = appointments(session_factory)
    assert row.start_at.isoformat() == "2027-03-28T09:00:00+00:00"  # 10:00 BST
    assert "at 10:00 London time" in chat.text


def test_bad_chat_requests_get_4xx_with_a_message(web):
    for body in ({}, {"session": "s"}, {"session": "s", "text": "hi", "choice": "yes"},
                 {"session": "bad session id!", "text": "hi"}, {"session": "s", "text": 5}):
        response = web.post("/api/v1/chat", json=body)
        assert response.status_code == 422 and response.json()["detail"], body
    assert web.post("/api/v1/chat", content=b"{not json", headers={"content-type": "application/json"}
                    ).status_code == 400
    empty = web.post("/api/v1/chat", json={"session": "s", "text": "   "}).json()["replies"]
    assert "for example" in empty[0]["text"]
    unknown = web.post("/api/v1/chat", json={"session": "s", "choice": "slot:99"}).json()["replies"]
    assert "earlier step" in unknown[0]["text"]


def test_whats_free_for_a_service_in_a_part_of_the_day(web, session_factory, salon):
    chat = Chat(web)
    chat.say("what's free for a haircut tomorrow afternoon?")
    assert chat.choices[0] == "13:00 with Sam"  # after lunch; the morning is not offered
    chat.say("the third one")
    assert "tomorrow (Tue 1 Dec) at 13:30" in chat.text
    chat.say("yes")
    chat.say("Jo")
    [row] = appointments(session_factory)
    assert row.start_at == at(LDN, *TUE, 13, 30)


def test_anyone_books_whichever_provider_is_free(web, container, session_factory, salon):
    container.booking.book(Book(salon.haircut, salon.sam, salon.clients[0], at(LDN, *TUE, 10)))
    chat = Chat(web)
    chat.say("haircut tomorrow at 10, anyone is fine")
    assert "Haircut (45 min) with Alex, tomorrow (Tue 1 Dec) at 10:00" in chat.text
    chat.pick("Yes")
    chat.say("Kim")
    mine = appointments(session_factory)[-1]
    assert (mine.provider_id, mine.start_at) == (salon.alex, at(LDN, *TUE, 10))


def test_the_colour_room_is_shared_between_providers(web, container, session_factory, salon):
    container.booking.book(Book(salon.colour, salon.sam, salon.clients[0], at(LDN, *TUE, 10)))
    chat = Chat(web)
    chat.say("a colour with Alex tomorrow at 10")
    assert "10:00" not in chat.choices and "isn't free" in chat.text
    assert all(c >= "11:45" or c < "08:15" for c in chat.choices[:5]), chat.choices


def test_cancel_names_the_day(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_and_beard_trim(chat)
    chat.say("cancel my appointment on thursday")
    assert "Cancel your Beard trim with Sam, Thu 3 Dec at 11:00" in chat.text
    chat.pick("Yes")
    assert [a.status for a in appointments(session_factory)] == ["confirmed", "cancelled"]


def test_nothing_to_cancel_or_move(web, session_factory, salon):
    chat = Chat(web)
    chat.say("cancel my booking")
    assert "no upcoming appointments" in chat.text
    chat.say("reschedule please")
    assert "no upcoming appointments" in chat.text and chat.choices == ["Book an appointment"]


def test_greets_a_known_client_by_name_and_keeps_the_flow(web, session_factory, salon):
    chat = Chat(web)
    book_haircut_tomorrow_at_4(chat, name="Lena Park")
    chat.say("hi")
    assert chat.text.startswith("Hi Lena!")
    chat.say("haircut friday at 9")
    assert "with Sam, Fri 4 Dec at 09:00" in chat.text
    chat.say("hello")
    assert "Where were we" in chat.text and "Yes, book it" in chat.choices


def test_two_messages_at_once_from_one_person_do_not_interleave(web, session_factory, salon):
    from concurrent.futures import ThreadPoolExecutor

    chat = Chat(web)
    book_haircut_tomorrow_at_4(chat)  # now known by name, so "yes" books at once
    chat.say("beard trim friday at 10")
    assert "Shall I book it?" in chat.text

    def yes(_):
        body = {"session": chat.session, "text": "yes"}
        return web.post("/api/v1/chat", json=body).json()["replies"][0]["text"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(yes, range(2)))
    assert sum(a.startswith("Booked!") for a in answers) == 1, answers
    assert len(appointments(session_factory)) == 2


def test_a_phone_already_on_file_links_to_that_client(container, session_factory, salon):
    from core.booking import setup_writes
    from core.conversation.messages import Inbound
    from core.db.session import UnitOfWork

    with UnitOfWork(session_factory, write=True) as uow:
        known = setup_writes.create_user(uow.session, name="Mia Lopez", phone="+44 20 7946 0958").id
        uow.commit()

    def text(words: str) -> str:
        replies = container.assistant.handle(Inbound("sms", "+442079460958", text=words, phone="+442079460958"))
        return replies[-1].text

    assert "Shall I book it?" in text("beard trim tuesday at 11")
    assert text("yes").startswith("Booked!")  # no name asked: the number is Mia's
    [row] = appointments(session_factory)
    assert row.client_id == known
