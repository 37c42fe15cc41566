"""Start-up for Telegram: register the commands and the webhook; or poll, for a business with no public URL."""
from __future__ import annotations

import asyncio
import logging
import re
import signal
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from telegram import BotCommand, Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bots.telegram.channel import TelegramChannel
from bots.telegram.inbound import ALLOWED_UPDATES, COMMAND_MENU
from bots.telegram.sender import make_bot
from config.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_FORM = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a secret_token


def webhook_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


def configure_telegram(settings: Settings) -> list[str]:
    """Register the command menu and, when SLOTLINE_PUBLIC_URL is set, the webhook with its secret.

    Idempotent: safe at every start-up (pending updates are kept). Returns the Bot API methods
    called; does nothing without TELEGRAM_BOT_TOKEN. Refuses (ValueError) to register a webhook
    without a usable TELEGRAM_WEBHOOK_SECRET, since the route would refuse every update.
    """
    if not settings.telegram_bot_token:
        log.info("TELEGRAM_BOT_TOKEN is not set: the Telegram channel is off")
        return []
    secret = settings.telegram_webhook_secret
    if settings.public_url and not (secret and SECRET_FORM.match(secret)):
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set to 1-256 characters A-Z, a-z, 0-9, _ or - "
                         "before Telegram can deliver to the webhook")
    return _run(_configure(settings))


async def _configure(settings: Settings) -> list[str]:
    async with make_bot(settings) as bot:
        await bot.set_my_commands([BotCommand(name, description) for name, description in COMMAND_MENU])
        done = ["setMyCommands"]
        if settings.public_url:
            await bot.set_webhook(webhook_url(settings), secret_token=settings.telegram_webhook_secret,
                                  allowed_updates=list(ALLOWED_UPDATES))
            done.append("setWebhook")
            log.info("Telegram delivers updates to %s", webhook_url(settings))
    return done


def run_polling(channel: TelegramChannel, settings: Settings, *, max_updates: int | None = None,
                poll_timeout: float = 10.0) -> None:
    """Fetch updates with getUpdates (after deleteWebhook) and hand them to `channel`, until stopped.

    For a business with no public URL. Stops on Ctrl-C or SIGTERM, or by itself after
    `max_updates` updates (for tests and one-off runs). The channel is the caller's: it stays open.
    """
    asyncio.run(_poll(settings, channel, max_updates, poll_timeout))


async def _poll(settings: Settings, channel: TelegramChannel, max_updates: int | None, poll_timeout: float) -> None:
    stop = asyncio.Event()
    handled = 0

    async def on_update(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal handled
        await asyncio.to_thread(channel.handle, update)  # the assistant and the sender are sync
        handled += 1
        if max_updates is not None and handled >= max_updates:
            stop.set()

    application = (Application.builder().token(settings.telegram_bot_token)
                   .base_url(settings.telegram_api_base_url).build())
    application.add_handler(TypeHandler(Update, on_update))
    _stop_on_sigterm(stop)
    async with application:
        await application.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        await application.updater.start_polling(timeout=poll_timeout, allowed_updates=list(ALLOWED_UPDATES))
        await application.start()
        log.info("polling Telegram for updates; Ctrl-C to stop")
        try:
            await stop.wait()
        finally:
            await application.updater.stop()
            await application.stop()


def _stop_on_sigterm(stop: asyncio.Event) -> None:
    # Signal handlers can only be set from the main thread (Slotline runs on Unix, where this works).
    if threading.current_thread() is threading.main_thread():
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from sync code, even when called inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="telegram-configure") as pool:  # a loop of its own
        return pool.submit(asyncio.run, coro).result()


__all__ = ["configure_telegram", "run_polling", "webhook_url"]
