"""The web chat page (`GET /chat`) and its one-tag widget, driven in a real headless Chromium.

Chromium is Debian's (`apt-get install chromium`, which scripts/test.sh does when it is missing),
driven with the Python `playwright` client; `playwright install` is never needed. The app runs
under uvicorn in a thread on 127.0.0.1 with the test container: the clock is Monday 30 November
2026, 08:00 in London, and the salon of tests/factories.py has Sam and Alex. The whole booking
runs on both engines; the other browser tests are about the page alone and run on SQLite.
Screenshots are kept in tests/artifacts/ (gitignored).
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn

from core.conversation.messages import Choice, Reply
from core.notifications.sender import Attachment
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    appointments, clock_fixture, container_fixture, salon_fixture, user_named, web_fixture,
)
from tests.factories import at
from tests.servers import free_port
from webhooks.app import create_app

try:
    from playwright.sync_api import Browser, Page, Route, expect, sync_playwright
except ImportError:  # failed with a clear message by the `chromium` fixture, never skipped
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
ONLY_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: the web chat tests drive Debian's Chromium; "
                    "run `apt-get install chromium` (scripts/test.sh does it for you)", pytrace=False)
    if sync_playwright is None:
        pytest.fail("the Python package `playwright` is missing: run `.venv/bin/pip install -e '.[test]'` "
                    "(never `playwright install`: the browser is Debian's chromium)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(container) -> Iterator[str]:
    """The real app over the test container, served by uvicorn on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-webchat", daemon=True)
    thread.start()
    for _ in range(400):
        if server.started or not thread.is_alive():
            break
        thread.join(0.025)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def host_site(live_app: str) -> Iterator[str]:
    """Another origin (its own port): a business's site with nothing but the embed snippet on it."""
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test salon</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"></head><body><h1>Welcome to Test salon</h1>'
            f'<p>Haircuts, colour and beard trims on the high street.</p>'
            f'<script src="{live_app}/chat/widget.js" data-slotline async></script></body></html>').encode()

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", free_port()), Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()


def open_page(browser: Browser, url: str, **context) -> tuple[Page, list[dict], list[str]]:
    """A fresh browser profile on `url`; also the chat API bodies it posts and its console errors."""
    page = browser.new_context(**context).new_page()
    posted, errors = [], []
    page.on("request", lambda r: posted.append(json.loads(r.post_data)) if r.url.endswith("/api/v1/chat") else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return page, posted, errors


def button(page, label: str):
    return page.get_by_role("button", name=label, exact=True)


def say(page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), animations="disabled")
    return path


def test_page_and_widget_are_served(web):
    page = web.get("/chat")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<meta name="viewport"' in page.text and 'aria-live="polite"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    widget = web.get("/chat/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert web.get("/chat/chat.css").headers["content-type"].startswith("text/css")
    assert web.get("/chat/secrets.env").status_code == 404 and web.get("/chat/..%2Fchat.py").status_code == 404


def book_haircut_tomorrow_at_4(page: Page) -> None:
    """The booking of tests/test_chat_dialogues.py, typed and tapped as a person would."""
    log = page.get_by_role("log")
    say(page, "a haircut with Sam tomorrow after 4")
    expect(log).to_contain_text("Free times for a Haircut with Sam tomorrow (Tue 1 Dec) (London time):")
    expect(button(page, "Book an appointment")).to_be_disabled()  # the greeting's step is over
    button(page, "16:00").tap()
    expect(log).to_contain_text("tomorrow (Tue 1 Dec) at 16:00 London time. Shall I book it?")
    button(page, "Yes, book it").tap()
    expect(log).to_contain_text("What name should I put the booking under?")
    say(page, "Ana Souza")
    expect(log).to_contain_text("Booked!")


def assert_used_options_cannot_be_tapped_again(page: Page, posted: list[dict], session_factory) -> None:
    for used in ("16:00", "16:15", "Later", "Another day", "Yes, book it", "No, other times"):
        expect(button(page, used)).to_be_disabled()
    for picked in ("16:00", "Yes, book it"):
        expect(button(page, picked)).to_have_attribute("aria-pressed", "true")
    button(page, "Yes, book it").dispatch_event("click")  # a stale tap, forced: nothing is sent
    page.wait_for_timeout(200)
    assert len(posted) == 5 and len(appointments(session_factory)) == 1


def test_whole_booking_on_a_phone(chromium, live_app, session_factory, salon, request):
    page, posted, errors = open_page(chromium, f"{live_app}/chat", **PHONE)
    log = page.get_by_role("log")
    expect(log).to_contain_text("booking assistant for Test salon")
    expect(log).to_have_attribute("aria-live", "polite")
    book_haircut_tomorrow_at_4(page)
    shot = screenshot(page, f"webchat-booking-{request.node.callspec.id}.png")

    [row] = appointments(session_factory)
    assert (row.provider_id, row.service_id, row.start_at, row.status, row.channel) == (
        salon.sam, salon.haircut, at("Europe/London", 2026, 12, 1, 16), "confirmed", "web")
    assert user_named(session_factory, "Ana Souza").id == row.client_id
    expect(log).to_contain_text(f"Your confirmation code is {row.confirmation_code}.")
    assert_used_options_cannot_be_tapped_again(page, posted, session_factory)
    session = page.evaluate("localStorage.getItem('slotline.chat.session')")
    assert {body["session"] for body in posted} == {session}
    assert len({body["messageId"] for body in posted}) == len(posted)
    assert [body.get("choice") for body in posted] == [None, None, "slot:0", "yes", None]

    page.reload()  # the session and the transcript survive; old options stay used
    expect(log).to_contain_text(f"Your confirmation code is {row.confirmation_code}.")
    expect(button(page, "16:00")).to_be_disabled()
    button(page, "My appointments").last.tap()
    expect(log.locator("li li").last).to_have_text(
        f"Haircut with Sam, tomorrow (Tue 1 Dec) at 16:00 (code {row.confirmation_code})")  # a bullet line
    assert posted[-1]["session"] == session

    page.set_viewport_size({"width": 360, "height": 740})
    # Nothing sticks out: the page itself never scrolls (only the log does), and the newest line stays in view.
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [360, 740]
    expect(log.locator("li li").last).to_be_in_viewport()
    screenshot(page, f"webchat-appointments-360px-{request.node.callspec.id}.png")
    assert errors == [] and shot.stat().st_size > 10_000


POLL_MS = 3000  # how often the page asks for the inbox (webhooks/static/chat.js)


@ONLY_SQLITE
def test_what_the_worker_sends_later_appears_on_the_open_page(chromium, live_app, container, session_factory, salon):
    page, posted, errors = open_page(chromium, f"{live_app}/chat", **PHONE)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/inbox?after=" in r.url else None)
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    log = page.get_by_role("log")
    book_haircut_tomorrow_at_4(page)
    [row] = appointments(session_factory)
    session = page.evaluate("localStorage.getItem('slotline.chat.session')")

    web = container.senders["web"]  # what the worker's Outbox uses for a web chat client
    web.send_file(session, Reply(f"Booked: Haircut with Sam. Your confirmation code is {row.confirmation_code}."),
                  Attachment("appointment.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"))
    web.send(session, Reply("Reminder: your Haircut with Sam is tomorrow (Tue 1 Dec) at 16:00 London time.",
                            (Choice("Confirm", f"remind:confirm:{row.id}"), Choice("Cancel", f"remind:cancel:{row.id}"),
                             Choice("Move", f"remind:move:{row.id}"))))
    reminder = log.locator("li.msg-bot", has_text="Reminder: your Haircut with Sam")
    expect(reminder).to_have_count(1, timeout=POLL_MS + 2000)  # within the poll interval
    expect(log.locator("li.msg-bot").last).to_contain_text("Reminder: your Haircut with Sam")  # in order
    calendar = page.get_by_role("link", name="Add to my calendar (appointment.ics)")
    expect(calendar).to_have_attribute("download", "appointment.ics")
    screenshot(page, "webchat-reminder.png")
    with page.expect_download() as saving:  # fetched with the session header, saved from a blob: URL
        calendar.tap()
    download = saving.value
    assert download.suggested_filename == "appointment.ics" and download.url.startswith("blob:")
    assert Path(download.path()).read_bytes() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    button(page, "Confirm").tap()  # the reminder's buttons post to the chat as any other choice
    expect(log).to_contain_text("Thanks, you're confirmed: Haircut with Sam, tomorrow (Tue 1 Dec) at 16:00")
    assert posted[-1] == {"session": session, "choice": f"remind:confirm:{row.id}",
                          "messageId": posted[-1]["messageId"]}
    expect(button(page, "Move")).to_be_disabled()

    page.reload()  # the last id seen is remembered: nothing arrives twice
    expect(log).to_contain_text("Thanks, you're confirmed")
    page.wait_for_timeout(POLL_MS + 500)
    expect(reminder).to_have_count(1)
    assert polls[-1].endswith("/api/v1/chat/inbox?after=2") and errors == []
    assert urls and not [url for url in urls if session in url]  # the session travels in headers and bodies


@ONLY_SQLITE
def test_choices_work_from_the_keyboard(chromium, live_app, salon):
    page, posted, _ = open_page(chromium, f"{live_app}/chat")
    expect(button(page, "Book an appointment")).to_be_enabled()
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Book an appointment":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("What would you like to book?")
    expect(button(page, "Haircut (45 min)")).to_be_focused()  # focus follows to the new options
    assert posted[-1]["choice"] == "intent:book"


@ONLY_SQLITE
def test_a_line_typed_before_the_greeting_arrives_is_sent_after_it(chromium, live_app, salon):
    """A slow first answer (a phone on a poor line): what the visitor typed meanwhile is not dropped."""
    context = chromium.new_context()
    page = context.new_page()
    held: list[Route] = []  # the greeting's request, let through once the visitor has typed
    page.route("**/api/v1/chat", lambda route: held.append(route), times=1)
    page.goto(f"{live_app}/chat")
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-busy", "true")  # the greeting is still on its way
    say(page, "a haircut with Sam tomorrow after 4")
    expect(page.get_by_label("Your message")).to_have_value("")
    page.wait_for_timeout(300)
    assert len(held) == 1  # nothing else was sent meanwhile
    held[0].continue_()
    expect(log).to_contain_text("What can I do for you?")
    expect(log).to_contain_text("Free times for a Haircut with Sam tomorrow (Tue 1 Dec) (London time):")
    said = log.locator("li.msg-me")
    expect(said).to_have_count(1)
    expect(said).to_contain_text("a haircut with Sam tomorrow after 4")


@ONLY_SQLITE
def test_a_failed_request_shows_a_friendly_line_and_retries_with_the_same_message_id(chromium, live_app, salon):
    page, posted, _ = open_page(chromium, f"{live_app}/chat")
    log = page.get_by_role("log")
    expect(log).to_contain_text("What can I do for you?")
    outcomes = ["offline", "server error", "through"]

    def flaky(route: Route) -> None:
        outcome = outcomes.pop(0) if outcomes else "through"
        if outcome == "offline":
            route.abort("internetdisconnected")
        elif outcome == "server error":
            route.fulfill(status=503, json={"detail": "the chat needs Redis, which is not configured"})
        else:
            route.continue_()

    page.route("**/api/v1/chat", flaky)
    say(page, "haircut with Sam tomorrow morning")
    expect(page.get_by_role("alert")).to_contain_text("couldn't reach the booking assistant")
    button(page, "Try again").click()
    expect(page.get_by_role("alert")).to_contain_text("having trouble right now")
    button(page, "Try again").click()
    expect(log).to_contain_text("Free times for a Haircut with Sam tomorrow")
    expect(page.get_by_role("alert")).to_have_count(0)
    retried = [body for body in posted if body.get("text") == "haircut with Sam tomorrow morning"]
    assert len(retried) == 3 and len({body["messageId"] for body in retried}) == 1

    def answer_lost(route: Route) -> None:  # the server books nothing twice; its answer never arrives
        route.fetch()
        route.abort("connectionreset")

    page.route("**/api/v1/chat", answer_lost, times=1)
    button(page, "10:00").click()
    button(page, "Try again").click()
    expect(log).to_contain_text("That message had already reached me")


@ONLY_SQLITE
def test_one_script_tag_on_another_site_opens_the_chat(chromium, live_app, host_site, salon):
    page, posted, errors = open_page(chromium, host_site, viewport={"width": 1280, "height": 800})
    launcher = page.get_by_role("button", name="Book an appointment")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    chat = page.frame_locator("iframe[title^='Book an appointment']")
    expect(chat.get_by_role("log")).to_contain_text("booking assistant for Test salon")
    chat.get_by_label("Your message").fill("what's free for a haircut tomorrow afternoon?")
    chat.get_by_label("Your message").press("Enter")
    expect(chat.get_by_role("button", name="13:00 with Sam")).to_be_visible()
    screenshot(page, "webchat-embed.png")

    frame = next(f for f in page.frames if "/chat?embed=1" in f.url)
    assert frame.url == f"{live_app}/chat?embed=1" and not page.url.startswith(live_app)
    assert len(posted) == 2 and errors == []  # no CORS or CSP complaint anywhere
    chat.get_by_role("button", name="Close the chat").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
