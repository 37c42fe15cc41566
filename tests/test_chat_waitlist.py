"""Joining and leaving the waiting list in the chat (issue 12), through `POST /api/v1/chat` end to end.

The demo salon (config/demo.yaml), Monday 30 November 2026 08:00 London: Sam does Haircuts 09:00-17:30
on weekdays, Alex 10:00-18:00 from Tuesday, Jordan 12:00-20:00 Monday to Thursday. A day is "full" when
every free time on it has been booked by someone else first.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from config.settings import Settings
from core.booking.commands import Book, FindSlots
from core.db.models import Provider, Service, User, WaitlistEntry
from slotline.bootstrap import build
from tests import receptionist
from tests.chat_helpers import Chat, appointments
from tests.factories import FixedClock, at
from webhooks.app import create_app

LDN = "Europe/London"
TUE, THU, FRI = date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4)


@pytest.fixture(name="salon")
def salon_fixture(engine, redis_client, session_factory, tmp_path: Path) -> Iterator[tuple[TestClient, object]]:
    """The web chat over the demo salon, and the container behind it (to fill days first)."""
    receptionist.load_demo(session_factory)
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path),
                        SLOTLINE_RATE_LIMIT_BOOKINGS_IP="", SLOTLINE_RATE_LIMIT_CHAT_IP="")
    container = build(settings, redis=redis_client, engine=engine, clock=FixedClock(receptionist.NOW))
    with TestClient(create_app(container)) as client:
        yield client, container


@pytest.fixture(name="web")
def web_fixture(salon) -> TestClient:
    return salon[0]


def ids(session_factory) -> dict[str, int]:
    with session_factory() as s:
        return {**{sv.name: sv.id for sv in s.scalars(select(Service))},
                **{p.name: p.id for p in s.scalars(select(Provider))}}


def fill(salon, session_factory, service: str, day: date, provider: str | None = None) -> None:
    """Book every free time on `day` for someone else."""
    _, container = salon
    named = ids(session_factory)
    with session_factory() as s:
        someone = User(name="Someone Else", role="client")
        s.add(someone)
        s.commit()
        client_id = someone.id
    while free := container.booking.find_slots(FindSlots(named[service], day, day, named.get(provider))):
        container.booking.book(Book(named[service], free[0].provider_id, client_id, free[0].start))


def entries(session_factory) -> list[tuple]:
    with session_factory() as s:
        return [(e.service_id, e.provider_id, e.window_start, e.window_end, e.status)
                for e in s.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id))]


def test_a_full_day_offers_its_waiting_list_and_one_tap_joins_it(salon, web, session_factory):
    fill(salon, session_factory, "Haircut", TUE, "Sam")
    booked = len(appointments(session_factory))
    chat = Chat(web)
    chat.say("a haircut with sam tomorrow at 10")
    assert "Sorry, nothing is free then. The nearest free times on Wed 2 Dec are" in chat.text
    assert "Join the waiting list for Tue 1 Dec" in chat.choices
    assert chat.choices[0].startswith("Wed 2 Dec")  # the nearest times stay beside it
    chat.pick("Join the waiting list")
    assert ("You're on the waiting list for a Haircut with Sam tomorrow (Tue 1 Dec) between 09:00 and 17:30 "
            "(London time). I'll message you if a time opens up.") in chat.text
    named = ids(session_factory)
    assert entries(session_factory) == [(named["Haircut"], named["Sam"], at(LDN, 2026, 12, 1, 9),
                                         at(LDN, 2026, 12, 1, 17, 30), "waiting")]
    assert len(appointments(session_factory)) == booked  # nothing booked for them
    chat.say("my appointments")
    assert "Waiting list: Haircut with Sam tomorrow (Tue 1 Dec) between 09:00 and 17:30" in chat.text


def test_the_exact_time_taken_offers_the_waiting_list_for_that_day(salon, web, session_factory):
    other = Chat(web)
    other.say("haircut with sam tomorrow at 10")
    other.say("yes")
    other.say("Someone Else")
    chat = Chat(web)
    chat.say("haircut with sam tomorrow at 10")
    assert "10:00 isn't free, sorry." in chat.text
    assert "Join the waiting list for Tue 1 Dec" in chat.choices
    chat.pick("Join the waiting list")
    assert "waiting list for a Haircut with Sam tomorrow (Tue 1 Dec) between 09:00 and 17:30" in chat.text


def test_with_no_provider_named_it_is_anyone_in_the_day_s_opening_hours(salon, web, session_factory):
    fill(salon, session_factory, "Haircut", TUE)
    chat = Chat(web)
    chat.say("a haircut tomorrow please")
    chat.pick("Join the waiting list for Tue 1 Dec")
    assert "a Haircut with anyone tomorrow (Tue 1 Dec) between 09:00 and 20:00 (London time)" in chat.text
    [(service, provider, start, end, _)] = entries(session_factory)
    assert (service, provider, start, end) == (ids(session_factory)["Haircut"], None, at(LDN, 2026, 12, 1, 9),
                                               at(LDN, 2026, 12, 1, 20))


def test_a_part_of_the_day_asked_for_is_what_they_wait_for(salon, web, session_factory):
    fill(salon, session_factory, "Beard trim", TUE, "Sam")
    chat = Chat(web)
    chat.say("beard trim with sam tomorrow afternoon")
    chat.pick("Join the waiting list for Tue 1 Dec")
    assert "Beard trim with Sam tomorrow (Tue 1 Dec) between 12:00 and 17:30" in chat.text
    [(_, _, start, end, _)] = entries(session_factory)
    assert (start, end) == (at(LDN, 2026, 12, 1, 12), at(LDN, 2026, 12, 1, 17, 30))


def test_typed_mid_booking_it_keeps_the_service_provider_and_day_said(salon, web, session_factory):
    fill(salon, session_factory, "Haircut", TUE, "Sam")
    chat = Chat(web)
    chat.say("a haircut with sam tomorrow")
    assert "Wed 2 Dec" in chat.text  # other days offered
    chat.say("put me on the waiting list for tomorrow")
    assert "waiting list for a Haircut with Sam tomorrow (Tue 1 Dec) between 09:00 and 17:30" in chat.text
    assert "What would you like to book?" not in chat.text
    other = Chat(web)
    other.say("a haircut with sam tomorrow")
    other.say("let me know if anything opens up")  # the day already said, not the day on show
    named = ids(session_factory)
    assert [(e[0], e[1], e[2]) for e in entries(session_factory)] == [
        (named["Haircut"], named["Sam"], at(LDN, 2026, 12, 1, 9))] * 2


def test_a_day_named_in_the_message_wins(salon, web, session_factory):
    fill(salon, session_factory, "Haircut", TUE, "Sam")
    chat = Chat(web)
    chat.say("a haircut with sam tomorrow at 10")
    chat.say("waitlist me for thursday")
    assert "waiting list for a Haircut with Sam on Thu 3 Dec between 09:00 and 17:30" in chat.text
    [(_, provider, start, end, _)] = entries(session_factory)
    assert (provider, start, end) == (ids(session_factory)["Sam"], at(LDN, 2026, 12, 3, 9), at(LDN, 2026, 12, 3, 17, 30))


def test_with_nothing_said_yet_it_asks_what_and_when_then_joins(web, session_factory):
    chat = Chat(web)
    chat.say("put me on the waiting list")
    assert "What would you like to book?" in chat.text
    chat.pick("Blow-dry")
    assert "When would you like your Blow-dry?" in chat.text
    chat.say("friday")
    assert "waiting list for a Blow-dry with anyone on Fri 4 Dec between 09:00 and 18:00" in chat.text
    assert entries(session_factory)[0][2:] == (at(LDN, 2026, 12, 4, 9), at(LDN, 2026, 12, 4, 18), "waiting")


def test_no_waiting_list_for_a_closed_day_or_a_move(salon, web, session_factory):
    chat = Chat(web)
    chat.say("haircut with sam on sunday")
    assert "We're closed on Sundays." in chat.text
    assert not any("waiting list" in c for c in chat.choices)
    chat.say("haircut with sam tomorrow at 11")
    chat.say("yes")
    chat.say("Ana Souza")
    other = Chat(web)
    other.say("haircut with sam tomorrow at 10")
    other.say("yes")
    other.say("Someone Else")
    chat.say("move my haircut to 10am")
    assert "10:00 isn't free" in chat.text
    assert not any("waiting list" in c for c in chat.choices)


def test_an_old_waiting_list_button_does_nothing(salon, web, session_factory):
    fill(salon, session_factory, "Haircut", TUE, "Sam")
    chat = Chat(web)
    chat.say("a haircut with sam tomorrow")
    join = next(c["value"] for c in chat.choices_full if c["label"].startswith("Join the waiting list"))
    chat.pick("Wed 2 Dec 09:00")  # picked a time instead
    reply = web.post("/api/v1/chat", json={"session": chat.session, "choice": join}).json()["replies"]
    assert "That option is from an earlier step" in reply[0]["text"]
    assert entries(session_factory) == []


def test_leaving_the_waiting_list(salon, web, session_factory):
    chat = Chat(web)
    chat.say("take me off the waiting list")
    assert "You're not on the waiting list for anything just now." in chat.text
    chat.say("put me on the waiting list for a beard trim with jordan on friday")
    chat.say("waitlist me for a haircut with sam on thursday")
    chat.say("and a blow-dry with alex on friday, let me know if anything opens up")
    assert len(entries(session_factory)) == 3
    chat.say("take me off the waiting list")
    assert "Which waiting list would you like to leave?" in chat.text
    chat.say("the haircut one")
    assert "Done: you're off the waiting list for a Haircut with Sam on Thu 3 Dec between 09:00 and 17:30" in chat.text
    assert [e[4] for e in entries(session_factory)] == ["waiting", "left", "waiting"]
    chat.say("remove me from the waiting list")
    chat.pick("Blow-dry with Alex")
    assert "off the waiting list for a Blow-dry with Alex on Fri 4 Dec" in chat.text
    chat.say("my appointments")
    assert "Waiting list: Beard trim with Jordan on Fri 4 Dec between 09:00 and 15:00" in chat.text
    assert "Blow-dry" not in chat.text
    chat.say("I don't need the waiting list any more")
    assert "Done: you're off the waiting list for a Beard trim with Jordan" in chat.text
    assert [e[4] for e in entries(session_factory)] == ["left"] * 3


def test_all_of_them_leaves_every_entry(web, session_factory):
    chat = Chat(web)
    chat.say("put me on the waiting list for a beard trim with jordan on friday")
    chat.say("waitlist me for a haircut with sam on thursday")
    chat.say("take me off the waiting list")
    chat.say("all of them please")
    assert ("Done: you're off the waiting list for a Haircut with Sam on Thu 3 Dec between 09:00 and 17:30 (London time) "
            "and a Beard trim with Jordan on Fri 4 Dec between 09:00 and 15:00 (London time).") in chat.text
    assert [e[4] for e in entries(session_factory)] == ["left", "left"]


def test_nobody_leaves_someone_else_s_entry(web, session_factory):
    ana, ben = Chat(web), Chat(web)
    ana.say("put me on the waiting list for a beard trim with jordan on friday")
    ana.say("waitlist me for a haircut with sam on thursday")
    ana.say("take me off the waiting list")
    stolen = next(c["value"] for c in ana.choices_full if c["label"].startswith("Beard trim"))
    ben.say("waitlist me for a haircut with sam on thursday")
    ben.say("get me off the waiting list")
    assert "Done: you're off the waiting list for a Haircut with Sam" in ben.text
    ben.say("put me on the waiting list for a blow-dry on friday")
    ben.say("and for a colour on friday too, waitlist me")
    ben.say("take me off the waiting list")
    reply = web.post("/api/v1/chat", json={"session": ben.session, "choice": stolen}).json()["replies"]
    assert "You're no longer on that waiting list" in reply[0]["text"]
    for junk in ("leave:", "leave:1x", "leave:-1", "leave:1234567890"):
        reply = web.post("/api/v1/chat", json={"session": ben.session, "choice": junk}).json()["replies"]
        assert "That option has expired" in reply[0]["text"]
    assert [e[4] for e in entries(session_factory)] == ["waiting", "waiting", "left", "waiting", "waiting"]
