"""Booking policies as a client and a provider meet them: the per-client cap and the no-show rule in the chat,
a request for a service that needs approval, the client's record on the provider's agenda, and the business
file's policy keys.

Monday 30 November 2026, 08:00 in London (the test salon: Sam and Alex, 09:00-17:00).
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from bots.slack.agenda_views import item_line
from core.booking.business_file import load_business
from core.booking.errors import InvalidRequest
from core.booking.providers import ProviderCard
from core.db.models import Appointment, Business, Service
from core.db.session import UnitOfWork
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    Chat, appointments, clock_fixture, container_fixture, salon_fixture, web_client,
)
from tests.factories import at


def set_business(session_factory, **values) -> None:
    with UnitOfWork(session_factory, write=True) as uow:
        for name, value in values.items():
            setattr(uow.session.get(Business, 1), name, value)
        uow.commit()


@pytest.fixture(name="web")
def web_fixture(engine, redis_client, clock, tmp_path, salon):
    with web_client(engine, redis_client, clock, tmp_path, SLOTLINE_RATE_LIMIT_BOOKINGS_IP="") as client:
        yield client


def book_in_chat(chat: Chat, hour: int) -> None:
    chat.say(f"a beard trim with Sam tomorrow at {hour}")
    chat.pick("Yes")
    if "What name" in chat.text:
        chat.say("Ana Souza")


def test_the_per_client_cap_is_explained_kindly_with_the_way_to_my_appointments(web, session_factory):
    set_business(session_factory, max_future_bookings=1)
    chat = Chat(web)
    book_in_chat(chat, 10)
    assert "Booked!" in chat.text
    chat.say("a beard trim with Sam tomorrow at 11")  # told at once, before picking a time
    assert chat.text.startswith("Sorry, I can't book that: you already have 1 upcoming booking, and 1 at a time "
                                "is the most we can hold for one client. You can see, move or cancel them under "
                                "My appointments")
    assert "My appointments" in chat.choices
    chat.pick("My appointments")
    assert "Beard trim" in chat.text  # the one they have, to move or cancel
    assert len(appointments(session_factory)) == 1


def test_a_cap_reached_while_a_time_is_on_offer_is_explained_at_yes(web, session_factory):
    set_business(session_factory, max_future_bookings=2)
    chat = Chat(web)
    book_in_chat(chat, 10)
    chat.say("a beard trim with Sam tomorrow at 11")
    assert "Shall I book it?" in chat.text
    set_business(session_factory, max_future_bookings=1)  # the business tightens the cap meanwhile
    chat.pick("Yes")
    assert chat.text.startswith("Sorry, I can't book that: you already have 1 upcoming booking")
    assert len(appointments(session_factory)) == 1


def test_after_the_no_show_limit_the_chat_books_only_through_the_business(web, session_factory):
    chat = Chat(web)
    book_in_chat(chat, 10)
    book_in_chat(chat, 11)
    assert len(appointments(session_factory)) == 2
    with UnitOfWork(session_factory, write=True) as uow:  # they missed both
        uow.session.execute(update(Appointment).values(status="no_show"))
        uow.commit()
    set_business(session_factory, no_show_limit=2, contact="020 7946 0958")
    chat.say("I'd like to book a beard trim")  # told at once, not after choosing a day and a time
    assert chat.text.startswith("Sorry, I can't book that: as 2 earlier appointments were missed, new bookings "
                                "are made through Test salon itself. Please get in touch with them at "
                                "020 7946 0958, and they'll gladly book you in.")
    assert [a.status for a in appointments(session_factory)] == ["no_show", "no_show"]
    set_business(session_factory, no_show_limit=3)  # a rule the business loosens lets them book again
    book_in_chat(chat, 14)
    assert "Booked!" in chat.text


def test_a_service_that_needs_approval_is_a_request_in_the_chat(web, session_factory, salon):
    with UnitOfWork(session_factory, write=True) as uow:
        uow.session.get(Service, salon.beard).needs_approval = True
        uow.commit()
    chat = Chat(web)
    book_in_chat(chat, 10)
    assert chat.text.startswith("Requested: Beard trim with Sam, tomorrow (Tue 1 Dec) at 10:00")
    assert "Test salon approves each Beard trim booking, so it isn't confirmed yet" in chat.text
    assert "I'll message you as soon as they answer" in chat.text
    [row] = appointments(session_factory)
    assert row.status == "pending" and row.request_expires_at is not None
    chat.say("my appointments")
    assert f"Beard trim with Sam, tomorrow (Tue 1 Dec) at 10:00 (code {row.confirmation_code}, awaiting approval)" \
        in chat.text


def test_the_agenda_line_shows_the_clients_no_shows_and_late_cancellations(container, salon, session_factory):
    booking, workday = container.booking, container.provider_day
    from core.booking.commands import Book, Cancel

    client = salon.clients[0]
    missed = [booking.book(Book(salon.beard, salon.sam, client, at("Europe/London", 2026, 12, d, 10)))[0]
              for d in (1, 2)]
    late = booking.book(Book(salon.beard, salon.sam, client, at("Europe/London", 2026, 11, 30, 15)))[0]
    booking.cancel(Cancel(late.id))  # seven hours ahead: inside the 24-hour window
    with UnitOfWork(session_factory, write=True) as uow:
        uow.session.execute(update(Appointment).where(Appointment.id.in_([a.id for a in missed]))
                            .values(status="no_show"))
        uow.commit()
    booking.book(Book(salon.beard, salon.sam, client, at("Europe/London", 2026, 12, 3, 10)))
    sam = ProviderCard(salon.sam, "Sam", "Europe/London")
    [item] = workday.agenda(sam, date(2026, 12, 3)).items
    assert item_line(item, "Europe/London") == \
        "*10:00–10:20*  Beard trim · Client 0 (2 no-shows, 1 late cancellation) · _confirmed_"
    [other] = workday.agenda(sam, date(2026, 11, 30)).items
    assert "Client 0 (2 no-shows, 1 late cancellation) · _cancelled_" in item_line(other, "Europe/London")


def test_the_business_file_takes_the_policies_and_refuses_bad_values(session_factory, salon):
    spec = {"business": {"name": "Test salon", "timezone": "Europe/London", "noShowLimit": 3,
                         "approvalExpiryHours": 12, "contact": "hello@salon.example", "maxFutureBookings": 4},
            "services": [{"name": "Colour", "duration": 90, "needsApproval": True}]}
    with UnitOfWork(session_factory, write=True) as uow:
        load_business(uow.session, spec)
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        business = uow.session.get(Business, 1)
        assert (business.no_show_limit, business.approval_expiry_hours, business.contact,
                business.max_future_bookings) == (3, 12, "hello@salon.example", 4)
        assert uow.session.get(Service, salon.colour).needs_approval is True
    for key, value, message in (("noShowLimit", 0, "noShowLimit must be a whole number from 1 to 100"),
                                ("approvalExpiryHours", None, "approvalExpiryHours must be a whole number"),
                                ("horizonDays", "lots", "horizonDays must be a whole number from 1 to 730")):
        with UnitOfWork(session_factory, write=True) as uow, pytest.raises(InvalidRequest, match=message):
            load_business(uow.session, {"business": {key: value}})
    with UnitOfWork(session_factory, write=True) as uow, pytest.raises(InvalidRequest, match="true or false"):
        load_business(uow.session, {"services": [{"name": "Colour", "duration": 90, "needsApproval": "yes"}]})
