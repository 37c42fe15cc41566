"""No secret and no session key in the log: `slotline run` as a user runs it (a real process, the
embedded defaults, Telegram pointed at the local Bot API double), its stderr read afterwards.

Also the pieces: the redacting filter on the Slack library's own logging, and the admin token
file (mode 0600, the token shown once, when it is generated).
"""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bots.telegram.inbound import SECRET_HEADER
from config.settings import Settings
from slotline.logs import REDACTED, RedactingFilter, settings_secrets
from tests.doubles.telegram_api import TelegramAPI, TelegramPerson
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
BOT_TOKEN = "7000000001:AAHsecret-bot-token-for-the-log-test"
WEBHOOK_SECRET = "webhook_secret-for-the-log-test"


def run_env(data_dir: Path, api: TelegramAPI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTLINE_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    return {**env, "PYTHONPATH": str(ROOT), "SLOTLINE_DATA_DIR": str(data_dir), "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}


def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("slotline run did not answer within 20 s")


def use_it(base: str, api: TelegramAPI, session: str) -> None:
    """What the log would otherwise leak from: web chat turns and inbox polls, a Telegram conversation."""
    for text in ("hello", "a haircut tomorrow"):
        response = httpx.post(f"{base}/api/v1/chat", json={"session": session, "text": text}, timeout=30)
        assert response.status_code == 200, response.text
    for after in (0, 0, 1):
        inbox = httpx.get(f"{base}/api/v1/chat/inbox", params={"after": after}, headers={"X-Chat-Session": session})
        assert inbox.status_code == 200, inbox.text
    update = TelegramPerson().message("a haircut with Sam tomorrow after 4")
    assert httpx.post(f"{base}/webhooks/telegram", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET},
                      timeout=10).status_code == 200
    deadline = time.monotonic() + 20
    while not api.params("sendMessage") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.params("sendMessage"), "the bot never answered on Telegram"


def test_after_a_run_with_telegram_the_log_holds_no_bot_token_and_no_session_id(tmp_path):
    session = "web-" + secrets.token_hex(12)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with TelegramAPI(token=BOT_TOKEN) as api:
        # uvicorn's access log goes to stdout, everything else to stderr: the log is both.
        proc = subprocess.Popen([sys.executable, "-m", "slotline.cli", "run", "--port", str(port)],
                                env=run_env(tmp_path, api), cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            wait_until_up(base, proc)
            use_it(base, api, session)
        finally:
            proc.send_signal(signal.SIGTERM)
            log = proc.communicate(timeout=30)[0]
        assert "setMyCommands" in api.methods()  # the bot did talk to the Bot API, token in its URLs
    assert proc.returncode == 0, log[-3000:]
    assert "Logging error" not in log, log[-3000:]
    assert '"GET /api/v1/chat/inbox?after=1 HTTP/1.1" 200' in log and '"POST /webhooks/telegram HTTP/1.1" 200' in log
    assert BOT_TOKEN not in log and BOT_TOKEN.split(":")[1] not in log
    assert session not in log
    assert WEBHOOK_SECRET not in log
    admin_token = (tmp_path / "admin-token").read_text().strip()
    assert log.count(admin_token) == 1 and f"admin token: {admin_token}\n" in log  # printed once, when made


# --- The pieces ------------------------------------------------------------------------------

def test_every_configured_secret_is_redacted_traceback_included():
    settings = Settings(SLOTLINE_ADMIN_TOKEN="admin-token-123456", TELEGRAM_BOT_TOKEN=BOT_TOKEN,
                        SLACK_BOT_TOKEN="xoxb-1-2-slacksecret", SLACK_SIGNING_SECRET="signing-secret-abc",
                        SLACK_APP_TOKEN="xapp-1-app-token", TWILIO_AUTH_TOKEN="twilio-auth-token-xyz",
                        SLOTLINE_REDIS_URL="redis://:redis-password-1@127.0.0.1:6379/0")
    found = settings_secrets(settings)
    assert found >= {"admin-token-123456", BOT_TOKEN, "xoxb-1-2-slacksecret", "signing-secret-abc", "xapp-1-app-token",
                     "twilio-auth-token-xyz", "redis-password-1"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(found))
    logger = logging.getLogger("test_log_secrets")
    logger.addHandler(handler)
    logger.propagate = False  # only the redacting handler sees these lines (not pytest's capture, printed on failure)
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe with %s", BOT_TOKEN, "xoxb-1-2-slacksecret")
        try:
            raise RuntimeError("Twilio said no to twilio-auth-token-xyz at redis://:redis-password-1@host")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    text = stream.getvalue()
    assert not [secret for secret in found if secret in text]
    assert f"bot{REDACTED}/getMe" in text and "RuntimeError: Twilio said no to" in text


def test_uvicorns_access_log_stays_readable_and_redacted():
    # uvicorn's access formatter reads the record's arguments itself: they are cleaned, not merged away.
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', (
        "127.0.0.1:5000", "GET", f"/chat?leaked={BOT_TOKEN}", "1.1", 200), None)
    assert RedactingFilter([BOT_TOKEN]).filter(record)
    line = AccessFormatter(use_colors=False).format(record)
    assert line.endswith(f'"GET /chat?leaked={REDACTED} HTTP/1.1" 200') and BOT_TOKEN not in line


def test_the_slack_librarys_log_of_a_refused_megabyte_is_cut_short():
    # Bolt logs the whole body of a request whose signature fails (at INFO); here it reaches Bolt directly.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    root, level = logging.getLogger(), logging.getLogger().level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # Bolt's loggers copy the root's level when the app is made
    try:
        app = AsyncApp(token="xoxb-not-used", signing_secret="signing-secret-abc")
        body = json.dumps({"type": "event_callback", "event": {"text": "A" * 1_000_000}})
        request = AsyncBoltRequest(body=body, headers={"content-type": "application/json",
                                                       "x-slack-request-timestamp": str(int(time.time())),
                                                       "x-slack-signature": "v0=" + "0" * 64})
        assert asyncio.run(app.async_dispatch(request)).status == 401
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert "Invalid request signature detected" in text and "more characters not logged" in text
    assert len(text) < 10_000


def test_the_admin_token_file_is_the_owners_only_and_the_token_shown_once(tmp_path):
    settings = Settings(SLOTLINE_DATA_DIR=str(tmp_path))
    token, generated = settings.admin_token_with_origin()
    path = tmp_path / "admin-token"
    assert generated and path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.admin_token_with_origin() == (token, False) and settings.resolved_admin_token() == token
    assert [p.name for p in tmp_path.iterdir()] == ["admin-token"]  # no draft left behind

    path.chmod(0o644)  # as an older Slotline wrote it
    assert settings.admin_token_with_origin() == (token, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    given = Settings(SLOTLINE_DATA_DIR=str(tmp_path / "other"), SLOTLINE_ADMIN_TOKEN="set-by-the-operator")
    assert given.admin_token_with_origin() == ("set-by-the-operator", False)
    assert not (tmp_path / "other").exists()
