"""Drill: a `slotline worker` killed with SIGKILL while it sends reminders (issue 14).

A real worker process sends 48 due reminders to the Telegram double. Midway, a lock the test
takes on the services table stops it after it has claimed one reminder and before that one
goes out (as a worker is caught mid-send); it is then killed with SIGKILL, with its scheduler.
A new worker, started as an operator would, sends every reminder not sent yet, the claimed one
included, and none that went out before the kill: each client gets each reminder exactly once.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.factories import at
from tests.notification_helpers import PUBLIC_URL, doubles_fixture, make_desk  # noqa: F401  (fixtures)
from tests.test_cli import env_for

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # a Friday; the worker itself runs on the real clock, earlier
# Monday and Tuesday around the salon's lunch hour, with each of its two providers: 24 appointments.
STARTS = [at("Europe/London", 2027, 3, day, hour) for day in (29, 30) for hour in (9, 10, 11, 13, 14, 15)] * 2
FIRST_CHAT = 5550100


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW, hours={"mon-sun": "09:00-17:00"})


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # the lock that catches it mid-send
def test_a_worker_killed_mid_send_leaves_each_reminder_to_arrive_exactly_once(desk, engine, redis_url, tmp_path):
    chats = [FIRST_CHAT + n for n in range(len(STARTS))]
    for n, (chat, start) in enumerate(zip(chats, STARTS)):
        provider = desk.salon.sam if n < len(STARTS) // 2 else desk.salon.alex
        desk.book(desk.client(f"Client {chat}", "telegram", str(chat)), start, provider)
    desk.work()  # confirmations sent, two reminders planned per appointment (24 h and 2 h before)
    assert len(desk.jobs.release_due(max(STARTS))) == 2 * len(STARTS)  # all due now, as at a peak
    desk.telegram.calls.clear()

    env = {**env_for(tmp_path), "SLOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "SLOTLINE_REDIS_URL": redis_url, "SLOTLINE_PUBLIC_URL": PUBLIC_URL,
           "TELEGRAM_BOT_TOKEN": desk.telegram.token, "TELEGRAM_API_BASE_URL": desk.telegram.base_url}
    first = _start_worker(env, tmp_path / "first.log")
    try:
        _wait(lambda: len(_reminders_sent(desk)) >= 15, first, "15 reminders sent")
        with engine.connect() as locker:  # the next delivery's read of its service waits here
            locker.execute(text("LOCK TABLE services IN ACCESS EXCLUSIVE MODE"))
            _wait(lambda: _waiting_on_a_lock(engine), first, "the worker waiting mid-delivery")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()  # reaped: no longer a process of this host
            locker.rollback()
    finally:
        _stop(first)
    statuses = Counter(n.status for n in desk.notifications(kind="reminder"))
    assert statuses["sending"] == 1, statuses  # claimed, not sent
    sent_before = len(_reminders_sent(desk))
    assert sent_before == statuses["sent"] and sent_before < 2 * len(STARTS)

    second = _start_worker(env, tmp_path / "second.log")
    try:
        _wait(lambda: len(_reminders_sent(desk)) >= 2 * len(STARTS)
              and all(n.status == "sent" for n in desk.notifications(kind="reminder")), second, "every reminder")
        time.sleep(1)  # anything sent twice would show now
    finally:
        _stop(second)
    assert Counter(int(p["chat_id"]) for p in _reminders_sent(desk)) == Counter({chat: 2 for chat in chats})
    [interrupted] = [n for n in desk.notifications(kind="reminder") if n.attempts == 2]
    assert [line["status"] for line in interrupted.log][-2:] == ["retrying", "sent"]
    assert "its worker stopped before recording an outcome" in interrupted.log[-2]["outcome"]
    assert "sending it again" in (tmp_path / "second.log").read_text()


def _reminders_sent(desk) -> list[dict]:
    """What reached the Telegram double since the confirmations: the reminders (nothing else is sent)."""
    return desk.telegram.params("sendMessage")


def _start_worker(env: dict[str, str], log) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", "slotline.cli", "worker"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # its scheduler in its group


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever of its group is left (its scheduler)
    except ProcessLookupError:
        pass


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")))


def _wait(ready, proc: subprocess.Popen, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        assert proc.poll() is None, f"the worker ended while waiting for {what}"
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {seconds} s")
