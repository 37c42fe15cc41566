"""The one place Slotline reads its environment.

Every name here is part of the contract in shared/DESIGN.md; do not rename.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "admin", "token"}


def parse_offsets(text: str) -> list[timedelta]:
    """Parse `24h,2h,30m,1d` into timedeltas, largest first."""
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    offsets = []
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        unit = part[-1]
        if unit not in units or not part[:-1].isdigit():
            raise ValueError(f"reminder offset {part!r} is not like 24h, 2h, 30m or 1d")
        offsets.append(timedelta(**{units[unit]: int(part[:-1])}))
    return sorted(offsets, reverse=True)


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Parse `10.0.0.1, 172.16.0.0/12, ::1` into networks (a bare address is a network of one)."""
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"trusted proxy {part!r} is not an IP address or CIDR network like 10.0.0.0/8") from None
    return networks


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slotline_env: str = Field(default="development", alias="SLOTLINE_ENV")
    data_dir: Path = Field(default=Path("var"), alias="SLOTLINE_DATA_DIR")
    database_url: str | None = Field(default=None, alias="SLOTLINE_DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="SLOTLINE_REDIS_URL")
    public_url: str | None = Field(default=None, alias="SLOTLINE_PUBLIC_URL")
    admin_token: str | None = Field(default=None, alias="SLOTLINE_ADMIN_TOKEN")
    timezone: str = Field(default="UTC", alias="SLOTLINE_TIMEZONE")
    reminder_offsets: str = Field(default="24h,2h", alias="SLOTLINE_REMINDER_OFFSETS")

    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL")
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_base_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_BASE_URL")
    twilio_account_sid: str | None = Field(default=None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(default=None, alias="TWILIO_AUTH_TOKEN")
    twilio_from_number: str | None = Field(default=None, alias="TWILIO_FROM_NUMBER")
    twilio_api_base_url: str = Field(default="https://api.twilio.com", alias="TWILIO_API_BASE_URL")
    # Email (bots/email): `smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://` (implicit TLS).
    smtp_url: str | None = Field(default=None, alias="SLOTLINE_SMTP_URL")
    email_from: str | None = Field(default=None, alias="SLOTLINE_EMAIL_FROM")

    # The public edges (webhooks/ratelimit.py, webhooks/clientip.py). A limit is one or more windows in
    # the `limits` library's notation ("20/minute;200/hour"); an empty string switches that limit off.
    rate_limit_chat: str = Field(default="20/minute;200/hour", alias="SLOTLINE_RATE_LIMIT_CHAT")
    rate_limit_chat_ip: str = Field(default="60/minute;600/hour", alias="SLOTLINE_RATE_LIMIT_CHAT_IP")
    rate_limit_inbox: str = Field(default="60/minute", alias="SLOTLINE_RATE_LIMIT_INBOX")
    rate_limit_inbox_ip: str = Field(default="600/minute", alias="SLOTLINE_RATE_LIMIT_INBOX_IP")
    rate_limit_sender: str = Field(default="30/minute;300/hour", alias="SLOTLINE_RATE_LIMIT_SENDER")
    rate_limit_webhook_ip: str = Field(default="6000/minute", alias="SLOTLINE_RATE_LIMIT_WEBHOOK_IP")
    # Calendar apps fetch feeds from few addresses (Google's, Microsoft's), many feeds each: keep it loose.
    rate_limit_calendar_ip: str = Field(default="600/minute", alias="SLOTLINE_RATE_LIMIT_CALENDAR_IP")
    trusted_proxies: str = Field(default="", alias="SLOTLINE_TRUSTED_PROXIES")
    # What one web chat visitor's address may do (core/conversation): slots held at once, bookings
    # made, one-time codes sent; codes are also capped per phone number or email address.
    holds_per_ip: int = Field(default=3, ge=1, alias="SLOTLINE_HOLDS_PER_IP")
    rate_limit_bookings_ip: str = Field(default="2/hour;6/day", alias="SLOTLINE_RATE_LIMIT_BOOKINGS_IP")
    rate_limit_codes: str = Field(default="3/hour;6/day", alias="SLOTLINE_RATE_LIMIT_CODES")
    rate_limit_codes_ip: str = Field(default="6/hour;20/day", alias="SLOTLINE_RATE_LIMIT_CODES_IP")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"SLOTLINE_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("smtp://", "smtps://")):
            raise ValueError("SLOTLINE_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
        return value or None

    @field_validator("reminder_offsets")
    @classmethod
    def _valid_offsets(cls, value: str) -> str:
        parse_offsets(value)
        return value

    @field_validator("rate_limit_chat", "rate_limit_chat_ip", "rate_limit_inbox", "rate_limit_inbox_ip",
                     "rate_limit_sender", "rate_limit_webhook_ip", "rate_limit_bookings_ip", "rate_limit_codes",
                     "rate_limit_codes_ip", "rate_limit_calendar_ip")
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        from limits import parse_many  # only needed to check the notation

        if value.strip():
            try:
                parse_many(value)
            except ValueError:
                raise ValueError(f"rate limit {value!r} is not like 20/minute;200/hour") from None
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        """SLOTLINE_TRUSTED_PROXIES as a list of IP addresses and CIDR networks."""
        return [str(net) for net in parse_networks(self.trusted_proxies)]

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> "Settings":
        # Outside development a guessable admin token is refused rather than generated.
        if self.slotline_env != "development" and (self.admin_token or "").lower() in PLACEHOLDER_SECRETS:
            raise ValueError("SLOTLINE_ADMIN_TOKEN must be set to a real secret outside development")
        return self

    @property
    def reminder_deltas(self) -> list[timedelta]:
        return parse_offsets(self.reminder_offsets)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'slotline.db').resolve()}"

    @property
    def admin_token_file(self) -> Path:
        """Where a generated admin token is kept (readable by its owner only)."""
        return self.data_dir / "admin-token"

    def resolved_admin_token(self) -> str:
        """The admin bearer token; in development one is generated once and kept in the data dir."""
        return self.admin_token_with_origin()[0]

    def admin_token_with_origin(self) -> tuple[str, bool]:
        """The admin bearer token, and True when this call generated it (so it is shown once only)."""
        if self.admin_token:
            return self.admin_token, False
        path = self.admin_token_file
        while True:
            if path.exists():
                _owner_only(path)  # an older Slotline wrote it 0644
                token = path.read_text().strip()
                if token:
                    return token, False
                path.unlink(missing_ok=True)  # empty: not a token anyone was shown
            token = secrets.token_urlsafe(24)
            if _create_owner_only(path, token + "\n"):
                return token, True
            # Another process (the worker, a second web process) made it first: use theirs.


def _create_owner_only(path: Path, text: str) -> bool:
    """Write `path` (mode 0600) only if it does not exist yet; False if it does. Never half-written:
    the text goes to a private temporary file first, which is then linked into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.link(draft, path)  # atomic, and refuses to replace an existing file
        return True
    except FileExistsError:
        return False
    finally:
        draft.unlink(missing_ok=True)


def _owner_only(path: Path) -> None:
    if path.stat().st_mode & 0o077:
        try:
            path.chmod(0o600)
        except OSError as exc:  # not ours to change: say so rather than stop
            logging.getLogger(__name__).warning("could not make %s readable by its owner only: %s", path, exc)


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://`/`postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
