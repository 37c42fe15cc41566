"""The Telegram channel (python-telegram-bot 22): verify, parse to `Inbound`, render `Reply`, send.

- `inbound`: the webhook secret check, Update parsing, and what each update asks of us.
- `render`: a reply as text plus an inline keyboard; the phone-sharing keyboard.
- `sender`: `TelegramSender`, the `Sender` port (also used by the worker for reminders).
- `channel`: `TelegramChannel.handle(update)`, shared by the webhook and polling; a shared phone
  number is linked to the person through `core.booking.clients`.
- `lifecycle`: `configure_telegram(settings)` at start-up, `run_polling(channel, settings)`.

Every outbound call goes to TELEGRAM_API_BASE_URL (PTB's `base_url`).
"""
from bots.telegram.channel import TelegramChannel
from bots.telegram.inbound import SECRET_HEADER, MalformedUpdate, parse_update, secret_matches
from bots.telegram.lifecycle import configure_telegram, run_polling
from bots.telegram.sender import TelegramSender

__all__ = ["SECRET_HEADER", "MalformedUpdate", "TelegramChannel", "TelegramSender",
           "configure_telegram", "parse_update", "run_polling", "secret_matches"]
