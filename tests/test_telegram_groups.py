"""Telegram in group chats: clients are the people who write (`from.id`), and the bot declines
groups with a pointer to a private chat, so no member sees or changes another's bookings.

Same webhook, Bot API double, salon and clock as tests/test_telegram.py.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from bots.telegram.inbound import PRIVATE_ONLY, parse_update, private_only, to_incoming
from core.db.models import ChannelIdentity
from core.db.session import UnitOfWork
from tests.chat_helpers import appointments, clock_fixture, salon_fixture  # noqa: F401  (fixtures)
from tests.doubles.telegram_api import BOT_USER, GROUP, TelegramPerson, in_group
from tests.test_telegram import Chat, api_fixture, container, web  # noqa: F401  (fixtures)

ALICE, BOB = TelegramPerson(5550101, "Alice"), TelegramPerson(5550202, "Bob")
DECLINE = private_only(BOT_USER["username"])


def to_group(api) -> list[str]:
    return [p["text"] for p in api.params("sendMessage") if int(p["chat_id"]) == GROUP["id"]]


def identities(session_factory) -> set[str]:
    with UnitOfWork(session_factory) as uow:
        return set(uow.session.scalars(select(ChannelIdentity.external_id).where(
            ChannelIdentity.channel == "telegram")))


def book_privately(alice: Chat) -> None:
    alice.say("a haircut with Sam tomorrow after 4")
    alice.tap("16:00")
    alice.tap("Yes")
    assert alice.text.startswith("Booked!")


def test_in_a_group_neither_member_sees_nor_cancels_the_others_appointment(web, api, session_factory):
    alice = Chat(web, api, ALICE)
    book_privately(alice)
    [booked] = appointments(session_factory)
    alice.say("my appointments")  # her own list, in her private chat, with its buttons
    listing = api.last_message(ALICE.user_id)

    bob = Chat(web, api, BOB)
    for text in ("my appointments", "cancel my appointment", "/mine@slotline_test_bot", "/cancel"):
        bob.post(in_group(BOB.message(text)))
    alice.post(in_group(ALICE.message("my appointments")))  # not even her own, where others can read it
    assert to_group(api) == [DECLINE] * 5
    assert DECLINE == ("I book appointments in a private chat, so your details stay yours. "
                       "Tap @slotline_test_bot and press Start.")

    edits = len(api.params("editMessageText"))
    tap = in_group(BOB.tap(listing, listing["reply_markup"]["inline_keyboard"][0][0]["text"]))
    bob.post(tap)  # a keyboard in the group (say, forwarded there): answered, never acted on
    answer = api.params("answerCallbackQuery")[-1]
    assert (answer["callback_query_id"], answer["text"]) == (tap["callback_query"]["id"], DECLINE)
    assert len(api.params("editMessageText")) == edits and len(to_group(api)) == 5

    [row] = appointments(session_factory)
    assert (row.id, row.status) == (booked.id, "confirmed")
    assert identities(session_factory) == {str(ALICE.user_id)}  # Bob and the group are nobody's identity
    assert not [p for p in api.params("sendMessage") if int(p["chat_id"]) == BOB.user_id]


def test_a_group_is_declined_once_per_update_and_its_chatter_is_left_alone(web, api):
    bob = Chat(web, api, BOB)
    update = in_group(BOB.message("a haircut tomorrow"))
    bob.post(update)
    bob.post(update)  # Telegram retried it
    bob.post(in_group(BOB.update("sticker")))  # not addressed to anyone in words: no answer
    bob.post(in_group(BOB.update("edited_message")))
    assert to_group(api) == [DECLINE]


def test_in_a_private_chat_the_client_is_the_sender():
    # from.id is the client; a private chat's id is the same number, so existing clients stay who they are.
    update = ALICE.message("hello")
    incoming = to_incoming(parse_update(json.dumps(update).encode()))
    assert incoming.inbound.sender == str(ALICE.user_id) == str(update["message"]["chat"]["id"])
    grouped = to_incoming(parse_update(json.dumps(in_group(update)).encode()))
    assert grouped.in_group and grouped.inbound is None and grouped.user_id == ALICE.user_id


def test_without_the_bots_username_the_decline_still_points_to_a_private_chat():
    assert private_only(None).startswith(PRIVATE_ONLY) and "private chat" in private_only(None)
    assert "@" not in private_only(None)
