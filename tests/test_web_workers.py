"""`slotline web --workers N` as an operator runs it: real processes on one PostgreSQL and Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from core.db.models import Appointment
from core.db.session import make_engine
from tests.conftest import free_port
from tests.test_cli import SLOTLINE, env_for, slotline

TOKEN = "web-workers-admin-token-5f1c9a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RACERS = 32
BUSINESS = """\
business: {name: Two Doors Clinic, timezone: Europe/London, minNoticeMinutes: 0, horizonDays: 30}
services:
  - name: Consultation
    duration: 30
providers:
  - name: Lee
    services: [Consultation]
    hours: {mon-sun: "09:00-17:00"}
"""


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)  # a new database
def test_two_web_processes_book_a_raced_slot_once_and_stop_together(tmp_path, empty_database_url, redis_url,
                                                                   redis_client):
    env = {**env_for(tmp_path), "SLOTLINE_DATABASE_URL": empty_database_url, "SLOTLINE_REDIS_URL": redis_url,
           "SLOTLINE_ADMIN_TOKEN": TOKEN}  # redis_client: Redis emptied first
    assert _slotline("migrate", env=env, cwd=tmp_path).returncode == 0
    (tmp_path / "clinic.yaml").write_text(BUSINESS)
    loaded = _slotline("load", "clinic.yaml", env=env, cwd=tmp_path)
    assert loaded.returncode == 0 and "1 services, 1 providers" in loaded.stdout, loaded.stderr

    port, log = free_port(), tmp_path / "web.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([*SLOTLINE, "web", "--workers", "2", "--port", str(port)], env=env, cwd=tmp_path,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: log.read_text().count("Application startup complete") == 2, proc, log, seconds=90)
        web = _web_processes(proc.pid)
        assert len(web) == 2, f"expected two web processes under {proc.pid}, found {web}"
        for paused in web:  # either one alone answers, so both serve the port
            assert _health_while_paused(base, paused) == {"status": "ok", "database": "ok", "redis": "ok"}
        statuses = _race_for_one_slot(base)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # not to leave them behind; the test fails below
            proc.wait()
        output = log.read_text()
    assert statuses["status"] == Counter({409: RACERS - 1, 201: 1}), statuses
    assert set(statuses["codes"]) <= {"slot_taken", "slot_held"}, statuses
    assert _appointments(empty_database_url) == 1
    assert proc.returncode == 0, output
    _wait_until(lambda: not _session_members(proc.pid), None, log, seconds=10)  # no worker left behind
    # Each process's uvicorn log is redacted, and trusts no X-Forwarded-For of its own.
    assert TOKEN not in output and output.count("/healthz?probe=[redacted]") == 2, output
    assert "203.0.113.9" not in output


def _health_while_paused(base: str, paused: int) -> dict:
    """/healthz, answered by the other process while `paused` is stopped, with what its log must not show."""
    os.kill(paused, signal.SIGSTOP)
    try:
        return httpx.get(f"{base}/healthz", params={"probe": TOKEN}, headers={"X-Forwarded-For": "203.0.113.9"},
                         timeout=3).json()
    finally:
        os.kill(paused, signal.SIGCONT)


def _race_for_one_slot(base: str) -> dict[str, Counter]:
    with httpx.Client(base_url=f"{base}/api/v1", headers=AUTH, timeout=30) as api:
        service = api.get("/services").json()[0]["id"]
        provider = api.get("/providers").json()[0]["id"]
        client = api.post("/users", json={"name": "Ana Souza", "role": "client"}).json()["id"]
        day = (date.today() + timedelta(days=2)).isoformat()
        slots = api.get(f"/providers/{provider}/availability",
                        params={"serviceId": service, "startDate": day, "endDate": day}).json()["slots"]
    body = {"serviceId": service, "providerId": provider, "clientId": client, "startTime": slots[0]["startTime"]}
    start = threading.Barrier(RACERS)
    answers: list[httpx.Response] = []

    def racer() -> None:
        with httpx.Client(headers=AUTH, timeout=60) as own:  # a connection of its own, to either process
            start.wait()
            answers.append(own.post(f"{base}/api/v1/appointments", json=body))

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"status": Counter(a.status_code for a in answers),
            "codes": Counter(a.json()["code"] for a in answers if a.status_code == 409)}


@pytest.mark.parametrize("settings,missing", [
    ({}, ["SLOTLINE_DATABASE_URL", "SLOTLINE_REDIS_URL"]),
    ({"SLOTLINE_DATABASE_URL": "postgresql://slotline@127.0.0.1:9/slotline"}, ["SLOTLINE_REDIS_URL"]),
])
def test_several_web_processes_refuse_the_embedded_database_and_redis(tmp_path, settings, missing):
    result = _slotline("web", "--workers", "2", env={**env_for(tmp_path), **settings}, cwd=tmp_path)
    assert result.returncode == 2
    assert "several web processes must share a database server and a Redis server" in result.stderr
    assert all(name in result.stderr for name in missing)
    assert ("SLOTLINE_DATABASE_URL" in result.stderr) == ("SLOTLINE_DATABASE_URL" in missing)
    assert list(tmp_path.iterdir()) == []  # refused before creating anything


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_a_setting_no_web_process_could_start_with_stops_the_command(tmp_path, empty_database_url):
    env = {**env_for(tmp_path), "SLOTLINE_DATABASE_URL": empty_database_url, "SLOTLINE_REDIS_URL": "redis//127.0.0.1"}
    result = _slotline("web", "--workers", "2", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Redis URL must specify one of the following schemes" in result.stderr
    assert "Uvicorn running" not in result.stderr


def test_workers_must_be_a_count(tmp_path):
    result = slotline("web", "--workers", "0", data_dir=tmp_path)
    assert result.returncode == 2 and "'0' is not a number of processes" in result.stderr


def _slotline(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """`slotline ARGS` to its end; one that hangs is killed with all it started."""
    with subprocess.Popen([*SLOTLINE, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _web_processes(parent: int) -> list[int]:
    """uvicorn's worker processes: children of `parent` started by multiprocessing's spawn."""
    found = subprocess.run(["pgrep", "-P", str(parent), "-f", "spawn_main"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _session_members(session: int) -> list[str]:
    return subprocess.run(["pgrep", "-s", str(session)], capture_output=True, text=True).stdout.split()


def _appointments(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Appointment))
    finally:
        engine.dispose()


def _wait_until(ready, proc: subprocess.Popen | None, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        assert proc is None or proc.poll() is None, log.read_text()
        time.sleep(0.1)
    pytest.fail(f"not within {seconds} s:\n{log.read_text()[-3000:]}")
