"""Driving whole conversations through `POST /api/v1/chat`, as the web chat does."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from config.settings import Settings
from core.db.models import Appointment, User
from slotline.bootstrap import build
from tests.factories import MONDAY_MORNING, FixedClock, make_salon
from webhooks.app import create_app

_ids = itertools.count(1)


class Chat:
    """One person in the web chat: say things, pick options, read the replies."""

    def __init__(self, client: TestClient, session: str | None = None):
        self.client = client
        self.session = session or f"web-{next(_ids)}"
        self.replies: list[dict] = []

    def _send(self, body: dict) -> list[dict]:
        response = self.client.post("/api/v1/chat", json={"session": self.session, **body})
        assert response.status_code == 200, response.text
        self.replies = response.json()["replies"]
        return self.replies

    def say(self, text: str, message_id: str | None = None) -> list[dict]:
        return self._send({"text": text, **({"messageId": message_id} if message_id else {})})

    def pick(self, label: str) -> list[dict]:
        """Tap the option whose label contains `label` (case-insensitive) in the last replies."""
        for choice in self.choices_full:
            if label.lower() in choice["label"].lower():
                return self._send({"choice": choice["value"]})
        raise AssertionError(f"no option like {label!r} in {self.choices}")

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    @property
    def choices_full(self) -> list[dict]:
        return [c for r in self.replies for c in r["choices"]]

    @property
    def choices(self) -> list[str]:
        return [c["label"] for c in self.choices_full]


def appointments(session_factory, **where) -> list[Appointment]:
    with session_factory() as s:
        query = select(Appointment).order_by(Appointment.id)
        for column, value in where.items():
            query = query.where(getattr(Appointment, column) == value)
        return list(s.scalars(query))


def user_named(session_factory, name: str) -> User | None:
    with session_factory() as s:
        return s.scalar(select(User).where(User.name == name))


@pytest.fixture(name="clock")
def clock_fixture() -> FixedClock:
    return FixedClock(MONDAY_MORNING)


@pytest.fixture(name="salon")
def salon_fixture(session_factory):
    return make_salon(session_factory)


@pytest.fixture(name="container")
def container_fixture(engine, redis_client, clock, salon, tmp_path: Path):
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path))
    return build(settings, redis=redis_client, engine=engine, clock=clock)


@pytest.fixture(name="web")
def web_fixture(container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as client:
        yield client


def web_client(engine, redis_client, clock, tmp_path: Path, **settings) -> TestClient:
    """The web app over its own container, with extra settings (by their environment names)."""
    container = build(Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path), **settings),
                      redis=redis_client, engine=engine, clock=clock)
    return TestClient(create_app(container))


@pytest.fixture(name="demo")
def demo_fixture(engine, redis_client, session_factory, tmp_path: Path) -> Iterator[TestClient]:
    """The web app over the demo salon (config/demo.yaml: Sam, Alex and Jordan), Monday 30 November 2026 08:00.

    Every chat in a test comes from one address, so bookings per address are not capped here."""
    from tests import receptionist

    receptionist.load_demo(session_factory)
    with web_client(engine, redis_client, FixedClock(receptionist.NOW), tmp_path,
                    SLOTLINE_RATE_LIMIT_BOOKINGS_IP="") as client:
        yield client
