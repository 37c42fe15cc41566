"""The one place Slotline reads its environment.

Every name here is part of the contract in shared/DESIGN.md; do not rename.
"""
from __future__ import annotations

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

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"SLOTLINE_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _valid_offsets(cls, value: str) -> str:
        parse_offsets(value)
        return value

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

    def resolved_admin_token(self) -> str:
        """The admin bearer token; in development one is generated once and kept in the data dir."""
        if self.admin_token:
            return self.admin_token
        path = self.data_dir / "admin-token"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(24)
        path.write_text(token + "\n")
        return token


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://`/`postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
