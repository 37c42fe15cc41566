"""Telegram's input side: verify the webhook secret, parse the Update, turn it into one `Incoming`.

`Incoming` is what the channel acts on: an `Inbound` for the assistant, a tap to settle
(answer the callback query, edit the keyboard), a shared contact, or a fixed notice for
what the assistant cannot read (a sticker, an edit). No raw payload goes past `bots/`.

A client is the person who writes (`from.id`), never the chat: in a private chat the two are
the same number, and a group, supergroup or channel is declined with a pointer to a private
chat, so no one there sees or changes another member's bookings.
"""
from __future__ import annotations

import hmac
import json
from dataclasses import dataclass

from telegram import CallbackQuery, Message, Update

from core.conversation.messages import Inbound

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Only these are asked for (setWebhook / getUpdates); anything else still gets an answer if it arrives.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")

# Telegram command -> the words the assistant understands for it; descriptions feed setMyCommands.
COMMANDS = {"start": "/start", "book": "/book", "mine": "/mine", "cancel": "/cancel", "help": "help"}
COMMAND_MENU = (("start", "Start over"), ("book", "Book an appointment"), ("mine", "My appointments"),
                ("cancel", "Cancel an appointment"), ("help", "What I can do"))
# A callback_data too long for Telegram's 64 bytes travels as its place in the keyboard ("#2").
POSITION_PREFIX = "#"

TEXT_ONLY = ("I can only read text for now. Tell me what you'd like, for example \"a haircut tomorrow "
             "after 4\", or use /book, /mine, /cancel or /help.")
NO_EDITS = ("I saw you edited a message, but I can't follow edits. Please send the change as a new "
            "message.")
UNKNOWN_COMMAND = "I don't know that command. Try /book, /mine, /cancel or /help."
PRIVATE_ONLY = "I book appointments in a private chat, so your details stay yours."
PRIVATE_CHAT_AT = " Tap @{username} and press Start."
PRIVATE_CHAT_GENERIC = " Tap my name, send me a message and press Start."


def private_only(username: str | None) -> str:
    """What a group is told, pointing to the bot's private chat by its @username when known."""
    return PRIVATE_ONLY + (PRIVATE_CHAT_AT.format(username=username) if username else PRIVATE_CHAT_GENERIC)


class MalformedUpdate(ValueError):
    """The body is not a Telegram Update; the message says what is wrong."""


@dataclass(frozen=True)
class Tap:
    """A button pressed on one of our inline keyboards."""

    callback_query_id: str
    message_id: int | None  # None when Telegram no longer gives the message (inline mode)
    label: str | None  # the pressed button's text, from the keyboard it came from
    message_text: str | None  # None when the message is too old for Telegram to show it


@dataclass(frozen=True)
class SharedContact:
    phone: str
    own: bool  # the person's own number, not someone else's contact card


@dataclass(frozen=True)
class Incoming:
    """One update, as the channel acts on it. `key` is unique per update, for dedupe."""

    key: str
    chat_id: int | None = None
    inbound: Inbound | None = None
    tap: Tap | None = None
    contact: SharedContact | None = None
    notice: str | None = None
    command: str | None = None
    display_name: str | None = None
    user_id: int | None = None  # who sent it (`from.id`): the client, whatever the chat
    in_group: bool = False  # from a group, supergroup or channel: declined, never acted on


def secret_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time check of the webhook secret; no secret configured refuses everything."""
    if not expected or given is None:
        return False
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header may hold any latin-1 text.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def parse_update(body: bytes) -> Update:
    """A PTB `Update` from a webhook body, or MalformedUpdate saying why not."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedUpdate(f"the body is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise MalformedUpdate("a Telegram Update is a JSON object with an integer update_id")
    try:
        return Update.de_json(data, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedUpdate(f"the Update could not be read: {exc}") from None


def to_incoming(update: Update) -> Incoming:
    """Classify one update; every kind a person can send gets something to act on."""
    key = f"u{update.update_id}"
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        return _from_group(key, update)
    if update.callback_query is not None:
        return _from_tap(key, update.callback_query)
    if update.message is not None:
        return _from_message(key, update.message)
    if update.edited_message is not None:
        return Incoming(key, chat_id=chat.id, notice=NO_EDITS)
    # Member changes, polls, inline queries...: no person is waiting for an answer in a private chat.
    is_private_message = chat is not None and chat.type == "private" and update.effective_message is not None
    return Incoming(key, chat_id=chat.id if is_private_message else None,
                    notice=TEXT_ONLY if is_private_message else None)


def _from_group(key: str, update: Update) -> Incoming:
    """A group member's tap is answered (with the decline, as a notice) and their text declined
    in the group; anything else there (members joining, stickers) needs no answer."""
    if update.callback_query is not None:
        query = update.callback_query
        return Incoming(key, tap=Tap(query.id, None, None, None), user_id=query.from_user.id, in_group=True)
    message = update.message
    if message is not None and message.text:
        return Incoming(key, chat_id=message.chat.id, user_id=message.from_user.id if message.from_user else None,
                        in_group=True)
    return Incoming(key, in_group=True)


def _from_message(key: str, message: Message) -> Incoming:
    chat_id, user = message.chat.id, message.from_user
    name = user.first_name if user else None
    user_id = user.id if user else chat_id  # in a private chat they are the same number
    if message.contact is not None:
        own = user is not None and message.contact.user_id == user.id
        return Incoming(key, chat_id=chat_id, contact=SharedContact(message.contact.phone_number, own),
                        display_name=name, user_id=user_id)
    text = message.text
    if not text:
        return Incoming(key, chat_id=chat_id, notice=TEXT_ONLY)
    command = None
    if text.startswith("/"):
        # "/start", "/start@SlotlineBot", "/start deep-link-payload"
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        if command not in COMMANDS:
            return Incoming(key, chat_id=chat_id, notice=UNKNOWN_COMMAND)
        text = COMMANDS[command]
    inbound = Inbound(channel=CHANNEL, sender=str(user_id), text=text, message_id=key, display_name=name)
    return Incoming(key, chat_id=chat_id, inbound=inbound, command=command, display_name=name, user_id=user_id)


def _from_tap(key: str, query: CallbackQuery) -> Incoming:
    message = query.message
    accessible = isinstance(message, Message)
    tap = Tap(query.id, message.message_id if message else None,
              _label(message, query.data) if accessible else None,
              message.text if accessible else None)
    if message is None or query.data is None:
        return Incoming(key, tap=tap)  # nothing to answer in a chat: just settle the tap
    chat_id, name, user_id = message.chat.id, query.from_user.first_name, query.from_user.id
    choice, text = query.data, None
    if choice.startswith(POSITION_PREFIX) and choice[1:].isdigit():
        choice, text = None, choice[1:]  # the assistant reads a bare number as a pick from the last choices
    # Keyed by the keyboard's message, not the update: a keyboard answers once, so a double tap
    # (two updates) is one choice, and a retried update is too.
    inbound = Inbound(channel=CHANNEL, sender=str(user_id), text=text, choice=choice,
                      message_id=f"kb{chat_id}:{message.message_id}", display_name=name)
    return Incoming(key, chat_id=chat_id, inbound=inbound, tap=tap, display_name=name, user_id=user_id)


def _label(message: Message, data: str | None) -> str | None:
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
