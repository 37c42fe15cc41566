"""What Slotline's processes write to their log: no secrets, no unbounded lines.

`configure_logging` is called once per process by the CLI. Two things keep secrets out:
- httpx and httpcore log each request's URL at INFO, and a Telegram Bot API URL holds the bot
  token (`POST https://api.telegram.org/bot<token>/getMe`): they log at WARNING only.
- `RedactingFilter`, on every handler the root logger writes through, replaces each configured
  secret (tokens, signing secrets, passwords in URLs) wherever it appears in a record, traceback
  included, and cuts a very long message short (a library logging a whole request body).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from config.settings import Settings

REDACTED = "[redacted]"
MAX_MESSAGE_CHARS = 4000  # a log line, not a request body: Bolt, for one, logs bodies it refuses
MIN_SECRET_CHARS = 6  # shorter values would redact ordinary words; real tokens are far longer
QUIET_LOGGERS = ("httpx", "httpcore")  # their INFO lines are request URLs, which may hold a token
SECRET_WORDS = ("token", "secret", "password", "auth")


def settings_secrets(settings: Settings) -> set[str]:
    """Every secret value in `settings`: fields named like a token or secret, and passwords inside URLs."""
    found = set()
    for name, value in settings.model_dump().items():
        if not isinstance(value, str) or not value:
            continue
        if any(word in name for word in SECRET_WORDS):
            found.add(value)
        elif name.endswith("_url"):
            try:
                password = urlsplit(value).password
            except ValueError:  # not a URL after all
                continue
            if password:
                found.add(password)
    return found


class RedactingFilter(logging.Filter):
    """Replaces secrets in log records with "[redacted]" and cuts long messages; never drops a record."""

    def __init__(self, secrets: Iterable[str] = (), *, max_chars: int = MAX_MESSAGE_CHARS):
        super().__init__()
        self.max_chars = max_chars
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Redact these too from now on (say, a token generated after start-up)."""
        fresh = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS} - set(self._secrets)
        # Longest first, so a secret that contains another is redacted whole.
        self._secrets = sorted({*self._secrets, *fresh}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        # The message and its arguments are cleaned apart, not merged: some formatters (uvicorn's
        # access log) read `record.args` themselves.
        record.msg = self._clean(record.msg, cut=not record.args)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: self._clean(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            # Formatted here, as the handler's formatter would, so the traceback is redacted too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True

    def _clean(self, value: object, *, cut: bool = True) -> object:
        """`value` with secrets redacted and cut short (a format string with arguments is not cut)."""
        if value is None or isinstance(value, (bool, int, float)):
            return value
        try:
            text = value if isinstance(value, str) else str(value)
        except Exception:  # noqa: BLE001 - a broken __str__ is the formatter's to report, not ours
            return value
        clean = self.redact(text)
        if cut and len(clean) > self.max_chars:
            clean = f"{clean[:self.max_chars]}... [{len(clean) - self.max_chars} more characters not logged]"
        return value if clean == text else clean


def configure_logging(settings: Settings, *, level: int = logging.INFO) -> RedactingFilter:
    """Log to stderr at `level` through a `RedactingFilter` holding `settings`' secrets; returns the filter."""
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up lines are noise here
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redacting = RedactingFilter(settings_secrets(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
    return redacting


def _installed() -> RedactingFilter | None:
    for handler in logging.getLogger().handlers:
        for candidate in handler.filters:
            if isinstance(candidate, RedactingFilter):
                return candidate
    return None


def redact(*secrets: str | None) -> None:
    """Redact these from the log too, from now on (a token generated after start-up)."""
    installed = _installed()
    if installed is not None:
        installed.add(*secrets)


def redact_handlers_of(*names: str) -> None:
    """Filter these loggers' own handlers too: uvicorn's, for one, do not pass records to the root's."""
    installed = _installed()
    for name in names if installed is not None else ():
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(installed)
