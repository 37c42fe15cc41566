"""The public web chat as a stranger (or a script) would use it: nothing left behind, holds bounded.

The clock is Monday 30 November 2026, 08:00 in London; see tests/test_chat_dialogues.py for the salon.
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core.db.models import ChannelIdentity, User
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    Chat, appointments, clock_fixture, container_fixture, salon_fixture, web_client, web_fixture,
)


def people(session_factory) -> tuple[int, int]:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(User)), s.scalar(
            select(func.count()).select_from(ChannelIdentity))


def test_a_passer_by_leaves_no_user_behind_until_they_book(web, session_factory, salon):
    before = people(session_factory)
    chat = Chat(web)
    chat.say("hi")
    chat.say("a haircut with Sam tomorrow after 4")
    chat.say("my appointments")
    assert "no upcoming appointments" in chat.text
    chat.say("a haircut with Sam tomorrow after 4")
    chat.pick("16:00")
    chat.pick("Yes")
    assert "What name" in chat.text
    assert people(session_factory) == before
    chat.say("Ana Souza")
    [row] = appointments(session_factory)
    assert people(session_factory) == (before[0] + 1, before[1] + 1)
    chat.say("my appointments")
    assert row.confirmation_code in chat.text


def test_ten_sessions_from_one_address_hold_at_most_three_slots(web, session_factory, salon):
    held, refused = 0, 0
    for _ in range(10):
        chat = Chat(web)
        chat.say("a haircut tomorrow after 9")
        chat.pick(chat.choices[0])
        if "Shall I book it?" in chat.text:
            held += 1
        elif "too many times are being held" in chat.text:
            refused += 1
    assert (held, refused) == (3, 7)
    # A client somewhere else is not affected: they still see free times and can hold one.
    with TestClient(web.app, client=("198.51.100.7", 50000)) as other_place:
        elsewhere = Chat(other_place)
        elsewhere.say("a haircut tomorrow after 9")
        elsewhere.pick(elsewhere.choices[0])
        assert "Shall I book it?" in elsewhere.text


@pytest.mark.parametrize("value", ["slot:²", "rebook:²", "remind:cancel:²", "appt:¹", "svc:99999999999999999999999",
                                   "svc:-1", "slot:", "when:yesterday", "intent:pay", "remind:steal:1", "x" * 200])
def test_odd_choice_values_are_answered_never_a_500(web, salon, value):
    chat = Chat(web)
    chat.say("a haircut with Sam tomorrow after 4")
    replies = chat._send({"choice": value})
    assert "expired" in replies[0]["text"] or "earlier step" in replies[0]["text"]
    chat._send({"choice": "when:tomorrow"})  # the session still works afterwards
    chat.say("a haircut with Sam tomorrow after 4")
    assert "16:00" in chat.choices


def test_a_huge_service_id_then_a_day_leaves_the_session_working(web, salon):
    chat = Chat(web)
    assert "expired" in chat._send({"choice": "svc:99999999999999999999999"})[0]["text"]
    assert "earlier step" in chat._send({"choice": "when:tomorrow"})[0]["text"]  # no service picked yet
    chat.say("a beard trim with Sam tomorrow at 10")
    assert "Beard trim (20 min) with Sam, tomorrow (Tue 1 Dec) at 10:00" in chat.text


def test_no_and_start_over_and_a_correction_let_the_held_time_go(web, salon):
    ana, ben = Chat(web), Chat(web)
    ana.say("a haircut with Sam tomorrow after 4")
    ana.pick("16:00")
    ben.say("a haircut with Sam tomorrow after 4")
    assert "16:00" not in ben.choices  # Ana is confirming it
    ana.say("start over")
    ben.say("a haircut with Sam tomorrow after 4")
    assert "16:00" in ben.choices
    ana.say("a haircut with Sam tomorrow after 4")
    ana.pick("16:00")
    ana.pick("No")
    ben.say("a haircut with Sam tomorrow after 4")
    assert "16:00" in ben.choices
    ana.pick("16:00")
    ana.say("actually with Alex please")
    ben.say("a haircut with Sam tomorrow after 4")
    assert "16:00" in ben.choices


def test_idle_nameless_passers_by_are_purged_and_everyone_else_is_kept(session_factory, salon, clock):
    from datetime import timedelta

    from core.booking.clients import purge_passers_by
    from core.db.models import WaitlistEntry

    old = clock.now - timedelta(days=2)
    with session_factory() as s:
        def person(name="", **fields):
            user = User(name=name, role="client", created_at=fields.pop("created_at", old), **fields)
            s.add(user)
            s.flush()
            s.add(ChannelIdentity(user_id=user.id, channel="web", external_id=f"w{user.id}"))
            return user.id
        gone = [person(), person()]
        kept = [person("Ana"), person(phone="+447700900123"), person(created_at=clock.now),
                salon.clients[0]]
        waiting = person()
        s.add(WaitlistEntry(client_id=waiting, service_id=salon.haircut, window_start=clock.now,
                            window_end=clock.now + timedelta(days=1)))
        opted = person()
        s.add(ChannelIdentity(user_id=opted, channel="sms", external_id="+447700900999", opted_out=True))
        s.commit()
    with session_factory() as s:
        assert purge_passers_by(s, now=clock.now) == 2
        s.commit()
    with session_factory() as s:
        remaining = set(s.scalars(select(User.id)))
        assert not remaining & set(gone) and set(kept) | {waiting, opted} <= remaining
        assert s.scalar(select(func.count()).select_from(ChannelIdentity).where(
            ChannelIdentity.user_id.in_(gone))) == 0


def cap_bookings_at_two(session_factory) -> None:
    from core.db.models import Business

    with session_factory() as s:
        s.get(Business, 1).max_future_bookings = 2
        s.commit()


def test_upcoming_bookings_per_client_are_capped_in_the_chat_and_over_rest(engine, redis_client, clock, tmp_path,
                                                                           session_factory, salon):
    cap_bookings_at_two(session_factory)
    with web_client(engine, redis_client, clock, tmp_path, SLOTLINE_RATE_LIMIT_BOOKINGS_IP="") as web:
        bookings_capped_per_client(web, session_factory, salon)


def bookings_capped_per_client(web, session_factory, salon) -> None:
    chat = Chat(web)
    for hour in ("10", "11"):
        chat.say(f"a beard trim with Sam tomorrow at {hour}")  # free: straight to "Shall I book it?"
        chat.pick("Yes")
        if "What name" in chat.text:
            chat.say("Ana Souza")
        assert "Booked!" in chat.text
    chat.say("a beard trim with Sam tomorrow at 14")  # told at once, before a time is picked
    assert "Sorry, I can't book that: you already have 2 upcoming bookings" in chat.text
    assert len(appointments(session_factory)) == 2
    client = appointments(session_factory)[0].client_id
    response = web.post("/api/v1/appointments", headers={"Authorization": "Bearer test-token"}, json={
        "serviceId": salon.beard, "providerId": salon.sam, "clientId": client,
        "startTime": "2026-12-02T10:00:00+00:00"})
    assert response.status_code == 409 and response.json()["code"] == "booking_limit", response.text
    assert "2 upcoming bookings" in response.json()["detail"]
    other = web.post("/api/v1/appointments", headers={"Authorization": "Bearer test-token"}, json={
        "serviceId": salon.beard, "providerId": salon.sam, "clientId": salon.clients[0],
        "startTime": "2026-12-02T10:00:00+00:00"})
    assert other.status_code == 201, other.text  # another client is not affected
