"""The Telegram adapter: one verified Update in; the assistant's replies out; every tap settled.

Shared by the webhook (`webhooks/telegram.py`) and polling mode (`bots/telegram/lifecycle.py`).
A tap is answered (answerCallbackQuery) and its keyboard taken off the message, showing what
was picked, so an old button cannot book twice; the assistant also answers a keyboard once only.
Groups, supergroups and channels are declined (see `inbound`): nothing there reaches the assistant.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker
from telegram import ReplyKeyboardRemove, Update

from bots.telegram.inbound import CHANNEL, Incoming, Tap, private_only, to_incoming
from bots.telegram.render import CONTACT_OFFER, contact_keyboard, picked
from bots.telegram.sender import TelegramSender
from core.booking import errors
from core.booking.clients import has_phone, link_phone, phone_from_contact
from core.conversation.assistant import Assistant
from core.conversation.errors import ConversationBusy
from core.conversation.messages import Reply
from core.notifications import contacts
from core.notifications.sender import SendFailed

log = logging.getLogger(__name__)

ALREADY_CHOSEN = "Already chosen. See the latest message."
BUSY = "I'm still working on your previous message. Please send that again in a moment."
SORRY = "Sorry, something went wrong on my side. Please try that again."
NOT_OWN = "Please share your own number with the button below, not someone else's contact."
BAD_PHONE = "Sorry, that doesn't look like a phone number I can use."
LINKED = ("Thanks! {phone} is now linked to you, so bookings you make by text and here are the same, and "
          "reminders can reach you either way.")


class TelegramChannel:
    """Turns Updates into assistant turns and renders the replies; holds its sender, not a Bot subclass.

    Built once by the composition root, with the same `TelegramSender` the Outbox uses."""

    def __init__(self, assistant: Assistant, sender: TelegramSender, session_factory: sessionmaker[Session]):
        self.assistant = assistant
        self.sender = sender
        self.session_factory = session_factory

    def handle(self, update: Update) -> None:
        """Answer one update. Never raises: a failure is logged and the person told, if we can."""
        incoming = to_incoming(update)
        try:
            self._act(incoming)
        except SendFailed as exc:
            log.warning("could not answer Telegram update %s: %s", incoming.key, exc)
        except Exception:
            log.exception("Telegram update %s failed", incoming.key)
            self._tell(incoming, SORRY)

    def close(self) -> None:
        self.sender.close()

    def _act(self, incoming: Incoming) -> None:
        if incoming.in_group:
            return self._decline(incoming)
        if incoming.inbound is not None:
            return self._converse(incoming)
        if incoming.tap is not None:
            self._answer(incoming.tap)  # a tap with nowhere to reply (an inline message)
        if incoming.chat_id is None:
            log.info("Telegram update %s has no chat to answer in; nothing to do", incoming.key)
        elif not self._first_time(incoming):
            log.info("dropping a repeated Telegram update %s", incoming.key)
        elif incoming.contact is not None:
            self._link_contact(incoming)
        elif incoming.notice:
            self.sender.send_text(incoming.chat_id, incoming.notice)

    def _converse(self, incoming: Incoming) -> None:
        tap, chat_id = incoming.tap, incoming.chat_id
        try:
            replies, busy = self.assistant.handle(incoming.inbound), False
        except ConversationBusy:
            replies, busy = [Reply(BUSY)], True
        except Exception:
            if tap is not None:
                self._answer(tap, SORRY)
            raise
        if tap is not None:
            # No replies means the assistant saw this keyboard answered already: a double tap or a retry.
            self._answer(tap, None if replies else ALREADY_CHOSEN)
            if replies and not busy:
                self._settle(chat_id, tap)
        contacts.reachable_again(self.session_factory, CHANNEL, incoming.inbound.sender)  # they unblocked us
        for reply in replies:
            self.sender.send(str(chat_id), reply)
        if incoming.command == "start" and replies and not has_phone(
                self.session_factory, channel=CHANNEL, external_id=incoming.inbound.sender):
            self.sender.send_text(chat_id, CONTACT_OFFER, contact_keyboard())

    def _link_contact(self, incoming: Incoming) -> None:
        chat_id, contact = incoming.chat_id, incoming.contact
        if not contact.own:
            return self.sender.send_text(chat_id, NOT_OWN, contact_keyboard())
        try:
            phone = phone_from_contact(contact.phone)
        except errors.InvalidRequest:
            return self.sender.send_text(chat_id, BAD_PHONE, ReplyKeyboardRemove())
        link_phone(self.session_factory, channel=CHANNEL, external_id=str(incoming.user_id), phone=phone,
                   display_name=incoming.display_name)
        self.sender.send_text(chat_id, LINKED.format(phone=phone), ReplyKeyboardRemove())

    def _decline(self, incoming: Incoming) -> None:
        """Point a group member to a private chat: a tap gets it as a notice, text as a message in the group."""
        if incoming.tap is None and (incoming.chat_id is None or not self._first_time(incoming)):
            return
        text = private_only(self.sender.bot_username())
        if incoming.tap is not None:
            self._answer(incoming.tap, text)
        else:
            self.sender.send_text(incoming.chat_id, text)

    def _first_time(self, incoming: Incoming) -> bool:
        # What bypasses the assistant (notices, contacts) is deduped here, on a key of its own.
        return self.assistant.store.first_time_seen(CHANNEL, f"n{incoming.key}")

    def _answer(self, tap: Tap, text: str | None = None) -> None:
        try:
            self.sender.answer_tap(tap.callback_query_id, text)
        except SendFailed as exc:  # too old to answer: the replies below still matter more
            log.warning("could not answer Telegram callback query %s: %s", tap.callback_query_id, exc)

    def _settle(self, chat_id: int, tap: Tap) -> None:
        if tap.message_id is None:
            return
        try:
            self.sender.settle_keyboard(chat_id, tap.message_id, picked(tap.message_text, tap.label))
        except SendFailed as exc:  # too old to edit: the assistant still answers that keyboard once only
            log.warning("could not take the keyboard off Telegram message %s: %s", tap.message_id, exc)

    def _tell(self, incoming: Incoming, text: str) -> None:
        if incoming.chat_id is None:
            return
        try:
            self.sender.send_text(incoming.chat_id, text)
        except SendFailed as exc:
            log.warning("could not tell Telegram chat %s about a failure: %s", incoming.chat_id, exc)
