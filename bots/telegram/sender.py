"""Telegram's send side: the `Sender` port for the channel "telegram", plus the calls a tap needs.

PTB's `Bot` is async; the web app's threadpool, the polling handler and the RQ worker are
sync callers. So one `Bot` lives on an event loop in a thread of its own, and every call is
handed to it. A `RetryAfter` (Telegram's flood control) is waited out and the call repeated, a
bounded number of times; a blocked bot (`Forbidden`) or a request Telegram rejects is a
permanent `SendFailed`, anything else a transient one the caller may retry.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bots.telegram.inbound import CHANNEL
from bots.telegram.render import render
from config.settings import Settings
from core.conversation.messages import Reply
from core.notifications.sender import Attachment, Sender, SendFailed

log = logging.getLogger(__name__)
T = TypeVar("T")
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
NOT_MODIFIED = "message is not modified"
MAX_CAPTION = 1024  # characters in a document's caption


def make_bot(settings: Settings) -> Bot:
    """A PTB Bot on TELEGRAM_BOT_TOKEN that talks to TELEGRAM_API_BASE_URL (a test double, a local server)."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url)


class _BotThread:
    """An event loop on a daemon thread, running one initialised Bot for sync callers."""

    def __init__(self, bot: Bot):
        self.pid = os.getpid()
        self.bot = bot
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="telegram-bot", daemon=True)
        self.thread.start()

    def run(self, call: Callable[[Bot], Awaitable[T]], timeout: float) -> T:
        async def go() -> T:
            await self.bot.initialize()  # once: getMe, and the HTTP client
            return await call(self.bot)

        future = asyncio.run_coroutine_threadsafe(go(), self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.bot.shutdown(), self.loop).result(5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


class TelegramSender(Sender):
    """Sends replies over the Telegram Bot API (a `core.notifications.sender.Sender`).

    `send(chat_id, reply)` renders the reply's choices as an inline keyboard and returns the
    message id. Safe to share between threads; after a fork (an RQ work horse) it starts afresh.
    """

    channel = CHANNEL

    def __init__(self, make: Callable[[], Bot], *, max_retries: int = 3, max_wait: float = 60.0,
                 timeout: float = 30.0):
        self._make = make
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.timeout = timeout
        self._lock = threading.Lock()
        self._thread: _BotThread | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **options) -> TelegramSender:
        make_bot(settings)  # refuse a missing token now, not at the first message
        return cls(lambda: make_bot(settings), **options)

    def send(self, recipient: str, reply: Reply) -> str | None:
        message_id = None
        for text, markup in render(reply):
            message_id = self.send_text(recipient, text, markup)
        return message_id

    def send_file(self, recipient: str, reply: Reply, attachment: Attachment) -> str | None:
        """The reply as the caption of the document, keyboard included: one message. A reply too long for
        a caption goes first on its own; the document after it then only logs a failure (no second reply)."""
        send = lambda bot, caption, markup: bot.send_document(  # noqa: E731
            recipient, document=attachment.content, filename=attachment.filename, caption=caption,
            reply_markup=markup)
        if len(reply.text) <= MAX_CAPTION:
            (caption, markup), = render(reply)
            return str(self._call("sendDocument", lambda bot: send(bot, caption, markup)).message_id)
        message_id = self.send(recipient, reply)
        try:
            self._call("sendDocument", lambda bot: send(bot, None, None))
        except SendFailed as exc:
            log.warning("Telegram did not take %s for chat %s: %s", attachment.filename, recipient, exc)
        return message_id

    def send_text(self, chat_id: str | int, text: str, markup: Markup | None = None) -> str | None:
        message = self._call("sendMessage", lambda bot: bot.send_message(chat_id, text, reply_markup=markup))
        return str(message.message_id)

    def bot_username(self) -> str | None:
        """The bot's @username (from the getMe the Bot makes once), or None while Telegram can't be asked."""
        async def username(bot: Bot) -> str | None:
            return bot.username

        try:
            return self._call("getMe", username)
        except SendFailed as exc:
            log.warning("could not learn the bot's username: %s", exc)
            return None

    def answer_tap(self, callback_query_id: str, text: str | None = None) -> None:
        """Answer a callback query, so the person's app stops showing it as loading."""
        self._call("answerCallbackQuery", lambda bot: bot.answer_callback_query(callback_query_id, text=text))

    def settle_keyboard(self, chat_id: str | int, message_id: int, text: str | None = None) -> None:
        """Take the inline keyboard off a message (showing `text` instead, if given): it was used."""
        method = "editMessageText" if text is not None else "editMessageReplyMarkup"
        try:
            self._call(method, lambda bot: bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
                       if text is not None else bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id))
        except SendFailed as exc:
            if NOT_MODIFIED not in str(exc):  # already settled, by another tap: nothing to do
                raise

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.pid == os.getpid():
            thread.close()

    def _bot_thread(self) -> _BotThread:
        with self._lock:
            if self._thread is None or self._thread.pid != os.getpid():
                self._thread = _BotThread(self._make())
            return self._thread

    def _call(self, what: str, call: Callable[[Bot], Awaitable[T]]) -> T:
        for attempt in range(self.max_retries + 1):
            try:
                return self._bot_thread().run(call, self.timeout)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if attempt == self.max_retries or wait > self.max_wait:
                    raise SendFailed(f"Telegram's flood control still asks to wait {wait:g}s before {what}; "
                                     "try again later") from exc
                log.warning("Telegram asks to wait %gs before %s; waiting (attempt %d)", wait, what, attempt + 1)
                time.sleep(wait)
            except Forbidden as exc:  # blocked by the person (or never started): they hear nothing here now
                raise SendFailed(f"Telegram refused {what}: {exc}", permanent=True, opted_out=True) from exc
            except (BadRequest, ChatMigrated) as exc:
                raise SendFailed(f"Telegram rejected {what}: {exc}", permanent=True) from exc
            except TelegramError as exc:
                raise SendFailed(f"{what} failed: {exc}") from exc
            except TimeoutError as exc:
                raise SendFailed(f"{what} got no answer from Telegram within {self.timeout:g}s") from exc
        raise AssertionError("unreachable")


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns that `retry_after` will become a timedelta; accept either, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
