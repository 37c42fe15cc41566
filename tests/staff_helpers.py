"""Staff acting over REST on a salon whose clients talk on Telegram and SMS, with a real RQ worker.

`desk` is tests/notification_helpers.py's (the channel doubles, a clock the test moves); `staff`
is an admin TestClient on the same container. Import the fixtures into a test module.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.api_helpers import AUTH
from tests.chat_helpers import appointments
from tests.factories import at
from tests.notification_helpers import Desk, doubles_fixture, make_desk  # noqa: F401  (fixtures)
from webhooks.app import create_app

LONDON = "Europe/London"
NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # Friday noon; the salon opens every day 09:00-17:00
MONDAY = (2027, 3, 29)
ANA_CHAT, BO_PHONE = "5550001", "+442079460958"


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles) -> Iterator[Desk]:
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


@pytest.fixture(name="staff")
def staff_fixture(desk: Desk) -> Iterator[TestClient]:
    with TestClient(create_app(desk.container), headers=AUTH) as client:
        yield client


def monday(hour: int, minute: int = 0) -> datetime:
    return at(LONDON, *MONDAY, hour, minute)


def telegram_texts(desk: Desk, chat: str = ANA_CHAT) -> list[str]:
    """What the chat was sent, in order (a confirmation is a document, its text the caption)."""
    return [c.params.get("text") or c.params.get("caption") or "" for c in desk.telegram.calls
            if c.method in ("sendMessage", "sendDocument") and c.status == 200 and str(c.params["chat_id"]) == chat]


def sms_texts(desk: Desk, phone: str = BO_PHONE) -> list[str]:
    return [call.form.get("Body", "") for call in desk.twilio.calls if call.form.get("To") == phone]


def statuses(desk: Desk) -> dict[int, str]:
    return {a.id: a.status for a in appointments(desk.container.session_factory)}
