"""Running the receptionist dialogues (tests/dialogues/receptionist.yaml) through `POST /api/v1/chat`.

Each dialogue runs on the demo salon (config/demo.yaml) in a fresh database, and is judged only by
what a client would see: the replies and the appointments it leaves.
"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.booking.business_file import load_file
from core.db.models import Appointment, Provider, Service, User
from core.db.session import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
DIALOGUES = yaml.safe_load((Path(__file__).parent / "dialogues" / "receptionist.yaml").read_text())
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday morning in London
LONDON = ZoneInfo("Europe/London")
_sessions = itertools.count(1)


def load_demo(session_factory) -> None:
    with UnitOfWork(session_factory, write=True) as uow:
        load_file(uow.session, ROOT / "config" / "demo.yaml")
        uow.commit()


def run(web: TestClient, session_factory, dialogue: dict) -> list[str]:
    """The ways the dialogue went wrong (none: it went right)."""
    sessions: dict[str, str] = {}
    problems: list[str] = []
    replies: dict[str, list[dict]] = {}
    for n, turn in enumerate(dialogue["turns"], 1):
        who = turn.get("as", "me")
        session = sessions.setdefault(who, f"receptionist-{next(_sessions)}")
        body = _body(turn, replies.get(who, []))
        if body is None:
            problems.append(f"turn {n}: no option like {turn['pick']!r}")
            break
        response = web.post("/api/v1/chat", json={"session": session, **body})
        if response.status_code != 200:
            problems.append(f"turn {n}: HTTP {response.status_code}")
            break
        replies[who] = response.json()["replies"]
        problems += _check(n, turn, replies[who])
    problems += _check_bookings(session_factory, dialogue)
    return problems


def _body(turn: dict, last: list[dict]) -> dict | None:
    if "say" in turn:
        return {"text": str(turn["say"])}
    wanted = str(turn["pick"]).lower()
    for choice in (c for r in last for c in r["choices"]):
        if wanted in choice["label"].lower():
            return {"choice": choice["value"]}
    return None


def _check(n: int, turn: dict, replies: list[dict]) -> list[str]:
    seen = "\n".join([r["text"] for r in replies] + [c["label"] for r in replies for c in r["choices"]]).lower()
    problems = []
    for text in _listed(turn.get("expect")):
        if text.lower() not in seen:
            problems.append(f"turn {n}: expected {text!r} in {seen!r}")
    for text in _listed(turn.get("expect_not")):
        if text.lower() in seen:
            problems.append(f"turn {n}: did not expect {text!r} in {seen!r}")
    return problems


def _listed(value) -> list[str]:
    return [] if value is None else [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _check_bookings(session_factory, dialogue: dict) -> list[str]:
    made = booked(session_factory)
    if "booked_count" in dialogue:
        return [] if len(made) == dialogue["booked_count"] else [f"booked {made}, expected {dialogue['booked_count']}"]
    expected = sorted(dialogue.get("booked", []))
    return [] if made == expected else [f"booked {made}, expected {expected}"]


def booked(session_factory) -> list[str]:
    with session_factory() as s:
        rows = s.execute(select(Service.name, Provider.name, Appointment.start_at, User.name)
                         .join(Service, Service.id == Appointment.service_id)
                         .join(Provider, Provider.id == Appointment.provider_id)
                         .join(User, User.id == Appointment.client_id)
                         .where(Appointment.status.in_(("pending", "confirmed"))))
        return sorted(f"{service} with {provider}, {start.astimezone(LONDON):%a %-d %b %H:%M}, {name}"
                      for service, provider, start, name in rows)
