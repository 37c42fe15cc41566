"""Client identity (`core.booking.clients`): one place, one phone rule, on both engines.

Ana was added over the API with her phone; Bo only ever texted. Each way a person reaches
Slotline (a chat, a number, a proven phone or email) finds the same client.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.booking import clients, errors, setup_writes
from core.db.models import ChannelIdentity, User
from core.db.session import UnitOfWork

ANA_PHONE, BO_PHONE = "+442079460958", "+442079460959"


@pytest.fixture(name="ana")
def ana_fixture(session_factory) -> int:
    with UnitOfWork(session_factory, write=True) as uow:
        ana = setup_writes.create_user(uow.session, name="Ana", phone=ANA_PHONE, email="ana@example.com")
        uow.commit()
        return ana.id


def users(session_factory) -> int:
    with UnitOfWork(session_factory) as uow:
        return uow.session.scalar(select(func.count(User.id)))


def test_a_stranger_is_nobody_until_they_enroll_and_then_always_the_same_client(session_factory):
    assert clients.find(session_factory, "telegram", "5550001") is None
    assert users(session_factory) == 0  # talking leaves nothing behind
    made = clients.enroll(session_factory, "telegram", "5550001", display_name="  Cy  ")
    again = clients.enroll(session_factory, "telegram", "5550001", display_name="Someone else")
    assert made == again == clients.find(session_factory, "telegram", "5550001")
    assert (made.name, made.timezone, made.last_channel) == ("Cy", None, "telegram")


def test_a_new_identity_with_a_phone_on_file_is_that_client(session_factory, ana):
    found = clients.find(session_factory, "sms", ANA_PHONE, phone=ANA_PHONE)
    assert found.id == ana and found.last_channel == "sms"
    assert clients.enroll(session_factory, "web", "session-1", phone="+44 20 7946 0958").id == ana  # one rule: E.164
    assert users(session_factory) == 1


def test_a_proven_email_finds_its_holder_whatever_its_case(session_factory, ana):
    proven = clients.enroll_verified(session_factory, "web", "session-2", email="ANA@Example.com ")
    assert proven.id == ana
    stranger = clients.enroll_verified(session_factory, "web", "session-3", display_name="Di", email="Di@Example.com")
    with UnitOfWork(session_factory) as uow:
        assert uow.session.get(User, stranger.id).email == "di@example.com"


def test_a_shared_phone_links_the_chat_to_whoever_owns_the_number(session_factory):
    bo = clients.enroll(session_factory, "sms", BO_PHONE, phone=BO_PHONE)
    chat = clients.enroll(session_factory, "telegram", "5550002", display_name="Bo on Telegram")
    assert not clients.has_phone(session_factory, channel="telegram", external_id="5550002")
    linked = clients.link_phone(session_factory, channel="telegram", external_id="5550002",
                                phone=clients.phone_from_contact("442079460959"))
    assert linked == bo.id != chat.id
    assert clients.find(session_factory, "telegram", "5550002").id == bo.id
    assert clients.has_phone(session_factory, channel="telegram", external_id="5550002")
    with pytest.raises(errors.InvalidRequest):
        clients.phone_from_contact("12")


def test_stop_from_an_unknown_number_is_remembered_and_start_clears_it(session_factory):
    assert clients.opt_out(session_factory, "email", "nobody@example.com") is None  # nobody to record it for
    assert clients.opt_out(session_factory, "sms", BO_PHONE, remember_stranger=True) is False
    assert clients.is_opted_out(session_factory, "sms", "+44 20 7946 0959")
    assert clients.opt_in(session_factory, "sms", BO_PHONE) is True
    assert not clients.is_opted_out(session_factory, "sms", BO_PHONE)
    with UnitOfWork(session_factory) as uow:
        [identity] = uow.session.scalars(select(ChannelIdentity))
        assert (identity.channel, identity.external_id, uow.session.get(User, identity.user_id).phone) == (
            "sms", BO_PHONE, BO_PHONE)


def test_an_email_unsubscribe_is_kept_on_the_holders_address(session_factory, ana):
    assert clients.opt_out(session_factory, "email", "Ana@Example.com") is False
    assert clients.is_opted_out(session_factory, "email", "ana@example.com")
    clients.reachable_again(session_factory, "email", "ana@example.com")
    assert not clients.is_opted_out(session_factory, "email", "ana@example.com")


def test_preferences_and_details_are_checked(session_factory, ana):
    clients.prefer(session_factory, ana, "sms")
    with pytest.raises(errors.InvalidRequest):
        clients.prefer(session_factory, ana, "fax")
    clients.talked_on(session_factory, ana, "telegram")
    with UnitOfWork(session_factory, write=True) as uow:
        user = clients.update_details(uow.session, uow.session.get(User, ana), {"phone": "+44 20 7946 0959"})
        assert (user.preferred_channel, user.last_channel, user.phone) == ("sms", "telegram", BO_PHONE)
        uow.commit()
