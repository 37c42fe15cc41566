"""Catalogue changes are seen at once: a service (and a provider offering it) created over REST is
offered in the very next chat turn, by a chat that had the old catalogue cached, in this process and
in another one (`slotline web` as a real process over the same database and Redis). Each process
keeps its catalogue while the version kept on the business row (bumped by every catalogue write) is
unchanged: one read by primary key a turn."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from core.booking.business_file import load_business
from core.db.session import UnitOfWork
from slotline.bootstrap import build
from tests.api_helpers import AUTH, TOKEN, make_provider, make_service
from tests.chat_helpers import Chat, clock_fixture, container_fixture, salon_fixture, web_fixture  # noqa: F401
from tests.servers import free_port
from webhooks.app import create_app

ROOT = Path(__file__).resolve().parents[1]
SALON_SERVICES = ["Haircut (45 min)", "Colour (90 min)", "Beard trim (20 min)"]


@pytest.fixture(name="admin")
def admin_fixture(engine, redis_client, clock, salon, tmp_path):
    """Another app over the same database: the owner's REST calls go through its own container and caches."""
    settings = Settings(SLOTLINE_ADMIN_TOKEN=TOKEN, SLOTLINE_DATA_DIR=str(tmp_path / "admin"))
    with TestClient(create_app(build(settings, redis=redis_client, engine=engine, clock=clock)),
                    headers=AUTH) as client:
        yield client


def services_offered(say) -> list[str]:
    replies = say("I'd like to book an appointment")
    return [c["label"] for r in replies for c in r["choices"]]


def test_a_service_created_over_rest_is_offered_in_the_very_next_turn(web, admin):
    chat = Chat(web)
    assert services_offered(chat.say) == SALON_SERVICES  # the chat's process now holds the catalogue
    massage = make_service(admin, "Massage", duration=30)
    make_provider(admin, [massage], name="Kim")
    assert services_offered(Chat(web).say) == [*SALON_SERVICES, "Massage (30 min)"]


def test_a_business_file_loaded_meanwhile_is_seen_at_once(web, session_factory):
    assert services_offered(Chat(web).say) == SALON_SERVICES
    with UnitOfWork(session_factory, write=True) as uow:  # what `slotline load` does
        load_business(uow.session, {"services": [{"name": "Haircut", "duration": 60}]})
        uow.commit()
    assert services_offered(Chat(web).say)[0] == "Haircut (60 min)"


def test_a_chat_in_another_process_offers_it_in_the_very_next_turn(engine, redis_url, salon, admin, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    env |= {"SLOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SLOTLINE_REDIS_URL": redis_url, "SLOTLINE_DATA_DIR": str(tmp_path / "web"),
            "SLOTLINE_ADMIN_TOKEN": TOKEN}
    web = subprocess.Popen([sys.executable, "-m", "slotline.cli", "web", "--port", str(port)], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/healthz", web)

        def say(text: str, session: str = "web-other-process") -> list[dict]:
            response = httpx.post(f"{base}/api/v1/chat", json={"session": session, "text": text}, timeout=10)
            assert response.status_code == 200, response.text
            return response.json()["replies"]

        assert services_offered(say) == SALON_SERVICES
        make_provider(admin, [make_service(admin, "Massage", duration=30)], name="Kim")
        assert services_offered(lambda text: say(text, "web-next-turn")) == [*SALON_SERVICES, "Massage (30 min)"]
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "slotline web exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"slotline web did not answer within {seconds:.0f} s")
