"""The web chat's inbox: what the worker sends a web chat session (a confirmation, a reminder with
Confirm / Cancel / Move) waits in Redis for the page to pick up from
`GET /api/v1/chat/inbox?after=<id>` with the session in the `X-Chat-Session` header (never in a
URL: access logs keep URLs). A real Redis; the end-to-end test books through
`POST /api/v1/chat` and runs the real RQ worker (SimpleWorker, burst) on a clock the test moves,
releasing scheduled jobs at the test clock's time as tests/notification_helpers.py does.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import redis
from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker

import worker
from bots.webchat import INBOX_KEEP, WebChatInbox, WebChatSender
from config.settings import Settings
from core.conversation.messages import Choice, Reply
from core.db.models import Notification
from core.db.session import UnitOfWork
from core.notifications.sender import Attachment, SendFailed
from slotline.bootstrap import build
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    Chat, appointments, clock_fixture, container_fixture, salon_fixture, web_fixture,
)
from tests.factories import MONDAY_MORNING, FixedClock, at
from tests.servers import free_port
from webhooks.app import create_app

ONLY_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
REMINDER = Reply("Reminder: your Haircut with Sam is tomorrow at 16:00 London time.",
                 (Choice("Confirm", "remind:confirm:7"), Choice("Cancel", "remind:cancel:7"),
                  Choice("Move", "remind:move:7")))


@pytest.fixture(name="sender")
def sender_fixture(redis_client) -> WebChatSender:
    return WebChatSender.on(redis_client, clock=FixedClock(MONDAY_MORNING))


# --- The sender and its inbox ------------------------------------------------------------

def test_the_sender_appends_to_the_sessions_inbox_with_increasing_ids(sender, redis_client):
    assert sender.channel == "web"
    assert sender.send("web-ana", Reply("Booked: Haircut with Sam.")) == "1"
    sender.inbox.clock.now = MONDAY_MORNING + timedelta(minutes=5)
    assert sender.send("web-ana", REMINDER) == "2"
    assert sender.send("web-bo", Reply("Hello Bo")) == "1"  # every session counts on its own

    messages, last = sender.inbox.read("web-ana")
    assert last == 2 and messages == [
        {"id": 1, "text": "Booked: Haircut with Sam.", "choices": [], "at": "2026-11-30T08:00:00Z"},
        {"id": 2, "text": REMINDER.text, "at": "2026-11-30T08:05:00Z", "choices": [
            {"label": "Confirm", "value": "remind:confirm:7"}, {"label": "Cancel", "value": "remind:cancel:7"},
            {"label": "Move", "value": "remind:move:7"}]},
    ]
    assert sender.inbox.read("web-ana", after=1) == (messages[1:], 2)
    assert sender.inbox.read("web-ana", after=2) == ([], 2)
    assert sender.inbox.read("web-nobody") == ([], 0)
    for key in (b"slotline:webchat:web-ana:inbox", b"slotline:webchat:web-ana:seq"):
        assert timedelta(days=2, hours=23) < timedelta(seconds=redis_client.ttl(key)) <= timedelta(days=3)


def test_the_inbox_keeps_only_the_newest_messages(sender, redis_client):
    for n in range(INBOX_KEEP + 5):
        sender.send("web-ana", Reply(f"message {n + 1}"))
    messages, last = sender.inbox.read("web-ana")
    assert last == INBOX_KEEP + 5 and len(messages) == INBOX_KEEP
    assert [m["id"] for m in messages] == list(range(6, INBOX_KEEP + 6))
    assert redis_client.llen("slotline:webchat:web-ana:inbox") == INBOX_KEEP


def test_an_inbox_that_expired_and_began_again_is_read_from_its_start(sender, redis_client):
    for n in range(3):
        sender.send("web-ana", Reply(f"old {n}"))
    redis_client.delete("slotline:webchat:web-ana:inbox", "slotline:webchat:web-ana:seq")  # expired
    assert sender.inbox.read("web-ana", after=3) == ([], 0)
    sender.send("web-ana", Reply("new"))
    messages, last = sender.inbox.read("web-ana", after=3)  # the page still remembers id 3
    assert [(m["id"], m["text"]) for m in messages] == [(1, "new")] and last == 1


def test_senders_at_once_get_distinct_ids_in_list_order(redis_client):
    inbox = WebChatInbox(redis_client, keep=500)
    ids: list[int] = []

    def send(worker_no: int) -> None:
        sender = WebChatSender(WebChatInbox(redis.Redis(connection_pool=redis_client.connection_pool), keep=500))
        ids.extend(int(sender.send("web-busy", Reply(f"w{worker_no} #{i}"))) for i in range(25))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    messages, last = inbox.read("web-busy")
    assert sorted(ids) == list(range(1, 201)) and last == 200
    assert [m["id"] for m in messages] == list(range(1, 201))  # a reader never sees id n+1 before n


def test_a_file_is_kept_with_its_message(sender):
    ics = Attachment("appointment.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message_id = sender.send_file("web-ana", Reply("Booked: Haircut with Sam."), ics)
    [message], _ = sender.inbox.read("web-ana")
    assert message["file"] == {"name": "appointment.ics", "type": "text/calendar"}
    assert sender.inbox.file("web-ana", int(message_id)) == ics
    assert sender.inbox.file("web-ana", 99) is None and sender.inbox.file("web-bo", int(message_id)) is None


def test_a_bad_session_is_a_permanent_failure_and_redis_down_a_transient_one(sender):
    for recipient in ("", "has space", "x" * 129, "line\n"):
        with pytest.raises(SendFailed) as refused:
            sender.send(recipient, Reply("hi"))
        assert refused.value.permanent
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    with pytest.raises(SendFailed) as failed:
        WebChatSender.on(down).send("web-ana", Reply("hi"))
    assert not failed.value.permanent and "Redis" in str(failed.value)


@ONLY_SQLITE
def test_the_web_sender_is_registered_whenever_there_is_redis(engine, redis_client, tmp_path):
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path))
    assert isinstance(build(settings, redis=redis_client, engine=engine).senders["web"], WebChatSender)
    assert "web" not in build(settings, redis=None, engine=engine).senders


# --- The route ---------------------------------------------------------------------------

INBOX = "/api/v1/chat/inbox"


def as_session(session: str) -> dict[str, str]:
    return {"X-Chat-Session": session}


@ONLY_SQLITE
def test_the_inbox_route_gives_what_came_after_an_id(web, container):
    ana = as_session("web-ana")
    empty = web.get(INBOX, headers=ana)
    assert empty.status_code == 200 and empty.json() == {"messages": [], "last": 0}
    assert empty.headers["cache-control"] == "no-store"
    web_sender = container.senders["web"]
    web_sender.send("web-ana", Reply("Booked: Haircut with Sam."))
    web_sender.send("web-ana", REMINDER)
    body = web.get(INBOX, params={"after": 0}, headers=ana).json()
    assert body["last"] == 2
    assert [(m["id"], m["text"], m["at"]) for m in body["messages"]] == [
        (1, "Booked: Haircut with Sam.", "2026-11-30T08:00:00Z"), (2, REMINDER.text, "2026-11-30T08:00:00Z")]
    assert body["messages"][1]["choices"][0] == {"label": "Confirm", "value": "remind:confirm:7"}
    assert web.get(f"{INBOX}?after=1", headers=ana).json()["messages"][0]["id"] == 2
    assert web.get(f"{INBOX}?after=2", headers=ana).json() == {"messages": [], "last": 2}
    assert web.get(INBOX, headers=as_session("web-bo")).json() == {"messages": [], "last": 0}


@ONLY_SQLITE
def test_the_ics_of_a_confirmation_is_a_download(web, container):
    ics = Attachment("appointment.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    container.senders["web"].send_file("web-ana", Reply("Booked."), ics)
    [message] = web.get(INBOX, headers=as_session("web-ana")).json()["messages"]
    assert message["file"] == {"name": "appointment.ics", "type": "text/calendar",
                               "url": "api/v1/chat/inbox/1/file"}  # no session in it: fetched with the header
    download = web.get("/" + message["file"]["url"], headers=as_session("web-ana"))
    assert download.status_code == 200 and download.content == ics.content
    assert download.headers["content-type"].startswith("text/calendar")
    assert download.headers["content-disposition"] == 'attachment; filename="appointment.ics"'
    assert web.get("/api/v1/chat/inbox/1/file", headers=as_session("web-bo")).status_code == 404
    assert web.get("/api/v1/chat/inbox/2/file", headers=as_session("web-ana")).status_code == 404
    assert web.get("/api/v1/chat/inbox/zero/file", headers=as_session("web-ana")).status_code == 422
    assert web.get("/api/v1/chat/inbox/1/file").status_code == 422  # no session, no file


@ONLY_SQLITE
def test_the_session_never_travels_in_the_url(web, container):
    container.senders["web"].send("web-ana", Reply("Booked."))
    for old in ("/api/v1/chat/web-ana/inbox", "/api/v1/chat/web-ana/inbox/1/file"):
        assert web.get(old).status_code in (404, 405), old
    assert web.get(f"{INBOX}?session=web-ana").status_code == 422  # a query parameter is not read either


@ONLY_SQLITE
def test_bad_inbox_requests_get_422_with_a_message(web):
    for session, query in (("bad session", ""), ("x" * 129, ""), ("web-ana", "?after=-1"),
                           ("web-ana", "?after=abc"), ("web-ana", f"?after={2 ** 60}"), ("caf\u00e9", ""),
                           (None, "")):
        headers = {} if session is None else {"X-Chat-Session": session.encode()}  # bytes: UTF-8 as sent
        response = web.get(INBOX + query, headers=headers)
        assert response.status_code == 422 and response.json()["detail"], (session, query)


@ONLY_SQLITE
def test_without_redis_or_with_redis_down_the_inbox_is_503_never_500(engine, salon, tmp_path):
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path))
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    for client in (None, down):
        with TestClient(create_app(build(settings, redis=client, engine=engine))) as web:
            for url in (INBOX, "/api/v1/chat/inbox/1/file"):
                response = web.get(url, headers=as_session("web-ana"))
                assert response.status_code == 503 and response.json()["detail"], (client, url)


@ONLY_SQLITE
def test_replies_to_a_post_are_not_copied_into_the_inbox(web, session_factory, salon):
    chat = Chat(web, "web-ana")
    chat.say("a haircut with Sam tomorrow after 4")
    chat.pick("16:00")
    chat.pick("Yes")
    chat.say("Ana Souza")
    assert "Booked!" in chat.text and len(appointments(session_factory)) == 1
    assert web.get(INBOX, headers=as_session("web-ana")).json() == {"messages": [], "last": 0}


# --- End to end: booked on the web chat, the worker's messages arrive in its inbox --------

@pytest.fixture(name="reminding")
def reminding_fixture(engine, redis_client, clock, salon, tmp_path) -> Iterator[tuple[TestClient, object]]:
    """The web app and the worker's container, with reminders a minute before the start."""
    settings = Settings(SLOTLINE_ADMIN_TOKEN="test-token", SLOTLINE_DATA_DIR=str(tmp_path),
                        SLOTLINE_REMINDER_OFFSETS="1m")
    container = build(settings, redis=redis_client, engine=engine, clock=clock)
    worker.install(container)
    try:
        with TestClient(create_app(container)) as client:
            yield client, container
    finally:
        worker.install(None)


def run_worker(container, moment: datetime | None = None) -> None:
    """Release the jobs RQ's scheduler would have queued by `moment`, then run the queue empty."""
    if moment is not None:
        container.clock.now = moment
        container.notifications.jobs.release_due(moment)
    SimpleWorker([Queue(worker.QUEUE, connection=container.redis)], connection=container.redis).work(burst=True)


def test_booked_on_the_web_chat_the_confirmation_then_the_reminder_arrive_in_its_inbox(reminding, session_factory):
    web, container = reminding
    chat = Chat(web, "web-e2e")
    chat.say("a haircut with Sam tomorrow after 4")
    chat.pick("16:00")
    chat.pick("Yes")
    chat.say("Ana Souza")
    [appt] = appointments(session_factory)
    start = at("Europe/London", 2026, 12, 1, 16)
    assert appt.start_at == start and appt.channel == "web"

    def inbox(after: int = 0) -> dict:
        return web.get(INBOX, params={"after": after}, headers=as_session(chat.session)).json()

    assert inbox() == {"messages": [], "last": 0}  # the chat's own answers stay in the chat

    run_worker(container)  # the booking's event: the confirmation now, the reminder scheduled
    [confirmation] = inbox()["messages"]
    assert confirmation["text"] == ("Booked: Haircut with Sam, tomorrow (Tue 1 Dec) at 16:00 London time. "
                                    f"Your confirmation code is {appt.confirmation_code}.")
    assert confirmation["file"]["name"] == "appointment.ics"
    assert b"BEGIN:VEVENT" in web.get("/" + confirmation["file"]["url"], headers=as_session(chat.session)).content
    assert container.notifications.jobs.scheduled() and inbox()["last"] == 1

    run_worker(container, start - timedelta(minutes=1, seconds=1))
    assert inbox(after=1) == {"messages": [], "last": 1}  # not yet
    run_worker(container, start - timedelta(minutes=1))
    [reminder] = inbox(after=1)["messages"]
    assert (reminder["id"], reminder["at"]) == (2, "2026-12-01T15:59:00Z")
    assert reminder["text"] == "Reminder: your Haircut with Sam is today (Tue 1 Dec) at 16:00 London time."
    assert [(c["label"], c["value"]) for c in reminder["choices"]] == [
        ("Confirm", f"remind:confirm:{appt.id}"), ("Cancel", f"remind:cancel:{appt.id}"),
        ("Move", f"remind:move:{appt.id}")]
    with UnitOfWork(session_factory) as uow:
        sent = {row.kind: (row.status, row.channel, row.external_id) for row in uow.session.query(Notification)}
    assert sent == {"confirmation": ("sent", "web", "1"), "reminder": ("sent", "web", "2")}

    chat.replies = [reminder]  # tapping the reminder's Confirm on the page posts its value as usual
    chat.pick("Confirm")
    assert chat.text == ("Thanks, you're confirmed: Haircut with Sam, today (Tue 1 Dec) at 16:00 London time. "
                         "See you then!")
    assert inbox(after=2) == {"messages": [], "last": 2}
