"""A business that asks web chat visitors to prove a phone or email before booking, and per-address caps.

The clock is Monday 30 November 2026, 08:00 in London; see tests/test_chat_dialogues.py for the salon.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.db.models import Business, User
from tests.chat_helpers import Chat, appointments, clock_fixture, salon_fixture, web_client  # noqa: F401
from tests.doubles.smtp_server import SmtpDouble

EMAIL = "ana@example.com"


@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[SmtpDouble]:
    with SmtpDouble() as smtp:
        yield smtp


@pytest.fixture(name="web")
def web_fixture(engine, redis_client, clock, salon, session_factory, smtp, tmp_path) -> Iterator[TestClient]:
    with session_factory() as s:
        s.get(Business, 1).verify_web_contact = True
        s.commit()
    with web_client(engine, redis_client, clock, tmp_path, SLOTLINE_SMTP_URL=smtp.url,
                    SLOTLINE_EMAIL_FROM="bookings@salon.test") as client:
        yield client


def code_in(smtp: SmtpDouble, count: int) -> str:
    mail = smtp.wait_for(count)[count - 1]
    assert mail.rcpt_tos == (EMAIL,)
    return re.search(r"\b(\d{6})\b", mail.message.get_body(("plain",)).get_content())[1]


def up_to_yes(chat: Chat) -> None:
    chat.say("a haircut with Sam tomorrow after 4")
    chat.pick("16:00")
    chat.pick("Yes")


def test_a_visitor_proves_their_email_before_anything_is_booked(web, smtp, session_factory):
    chat = Chat(web)
    up_to_yes(chat)
    assert "6-digit code" in chat.text and "email address" in chat.text
    chat.say("it's ana@example.com")
    code = code_in(smtp, 1)
    assert "sent a code to an…@example.com" in chat.text and appointments(session_factory) == []
    chat.say(f"{(int(code) + 1) % 10**6:06d}")
    assert "isn't right" in chat.text and appointments(session_factory) == []
    chat.say(code)
    assert "What name" in chat.text
    chat.say("Ana Souza")
    [row] = appointments(session_factory)
    assert "Booked!" in chat.text
    with session_factory() as s:
        assert s.get(User, row.client_id).email == EMAIL


def test_a_proven_email_ties_the_chat_to_the_client_on_file(web, smtp, session_factory, salon):
    with session_factory() as s:
        s.get(User, salon.clients[0]).email = EMAIL
        s.commit()
    chat = Chat(web)
    up_to_yes(chat)
    chat.say(EMAIL)
    chat.say(code_in(smtp, 1))
    assert "Booked!" in chat.text  # no name asked: the address is theirs
    [row] = appointments(session_factory)
    assert row.client_id == salon.clients[0]


def test_codes_are_capped_per_address_and_nothing_is_held_before_the_proof(web, smtp, session_factory):
    chat = Chat(web)
    up_to_yes(chat)
    chat.say(EMAIL)
    for n in (2, 3):
        chat.say("new code please")
        code_in(smtp, n)
    chat.say("new code please")
    assert "sent several codes already" in chat.text and len(smtp.received) == 3
    other = Chat(web)
    other.say("a haircut with Sam tomorrow after 4")
    assert "16:00" in other.choices  # a visitor not yet proven holds nothing (a script could hold forever)


def test_without_sms_or_email_the_visitor_is_told_to_call(engine, redis_client, clock, salon, session_factory,
                                                           tmp_path):
    with session_factory() as s:
        s.get(Business, 1).verify_web_contact = True
        s.commit()
    with web_client(engine, redis_client, clock, tmp_path) as client:
        chat = Chat(client)
        up_to_yes(chat)
        assert "Please call us to book" in chat.text and appointments(session_factory) == []


def test_bookings_from_one_address_are_capped(engine, redis_client, clock, salon, session_factory, tmp_path):
    with web_client(engine, redis_client, clock, tmp_path, SLOTLINE_RATE_LIMIT_BOOKINGS_IP="2/hour") as client:
        for hour in (10, 11, 14):
            chat = Chat(client)
            chat.say(f"a beard trim with Sam tomorrow at {hour}")  # free: straight to "Shall I book it?"
            chat.pick("Yes")
            chat.say("Mickey Mouse")
        assert "several bookings have been made from your connection" in chat.text
        assert len(appointments(session_factory)) == 2
        with TestClient(client.app, client=("198.51.100.7", 50000)) as elsewhere:
            chat = Chat(elsewhere)
            chat.say("a beard trim with Sam tomorrow at 14")
            chat.pick("Yes")
            chat.say("Ana Souza")
            assert "Booked!" in chat.text
    with session_factory() as s:
        assert len(list(s.scalars(select(User).where(User.name == "Mickey Mouse")))) == 2
