"""The admin console at /admin, driven in headless Chromium (as tests/test_webchat_page.py drives /chat) and over HTTP.

The clock is Monday 30 November 2026, 08:00 in London; the salon of tests/factories.py has Sam and
Alex (09:00-17:00). Screenshots go to tests/artifacts/ (admin-*.png). No page may log a console
error or a Content-Security-Policy violation.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from core.booking.commands import Book, FindSlots
from core.booking.setup import BusinessSetup
from core.booking.tokens import ApiTokens
from core.db.models import AuditEntry, Notification, Provider
from tests.chat_helpers import (  # noqa: F401  (fixtures)
    appointments, clock_fixture, container_fixture, salon_fixture, web_fixture,
)
from tests.factories import at
from tests.test_webchat_page import PHONE, chromium, live_app, screenshot  # noqa: F401  (fixtures)

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `chromium` fixture fails with the message
    pass

ONLY_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
LONDON = "Europe/London"
MONDAY = date(2026, 11, 30)


def book(container, salon, provider: int, client: int, hour: int, service: int | None = None):
    appt, _ = container.booking.book(Book(service_id=service or salon.haircut, provider_id=provider,
                                          client_id=client, start=at(LONDON, 2026, 11, 30, hour), actor="admin"))
    return appt


def provider_token(container, salon, provider: int) -> str:
    """A user linked to `provider`, and an API token for them."""
    user = BusinessSetup(container.session_factory).create_user(name="Sam Staff", role="provider")
    with container.session_factory() as s:
        s.execute(update(Provider).where(Provider.id == provider).values(user_id=user.id))
        s.commit()
    return ApiTokens(container.session_factory, clock=container.clock).issue(user.id).token


def client_token(container, salon) -> str:
    return ApiTokens(container.session_factory, clock=container.clock).issue(salon.clients[0]).token


REFUSED = "Failed to load resource: the server responded with a status of "


def refusals(problems: list[str]) -> list[int]:
    """The statuses of the pages answered with a 4xx on purpose (Chromium logs each); the rest must be none."""
    return [int(p[len(REFUSED):][:3]) for p in problems if p.startswith(REFUSED)]


def others(problems: list[str]) -> list[str]:
    return [p for p in problems if not p.startswith(REFUSED)]


def watch(page: Page) -> list[str]:
    """Console errors (Chromium reports CSP refusals there) and CSP violation events, as they happen."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
    return problems


def sign_in(browser, base: str, token: str, **context) -> tuple[Page, list[str]]:
    page = browser.new_context(**context).new_page()
    problems = watch(page)
    page.goto(f"{base}/admin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # no session: the sign-in page
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    return page, problems


def shown(block) -> list[str]:
    """A block's lines as rendered (what CSS hides in a short block is not read)."""
    return [line.strip() for line in block.inner_text().splitlines() if line.strip()]


def no_page_scroll(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") == width


def free_starts(container, salon, provider: int, service: int) -> list:
    return [slot.start for slot in container.booking.find_slots(
        FindSlots(service_id=service, start_date=MONDAY, end_date=MONDAY, provider_id=provider))]


def test_admin_signs_in_sees_today_and_a_cancel_frees_the_slot(chromium, live_app, container, salon, request):
    sams = book(container, salon, salon.sam, salon.clients[0], 10)
    book(container, salon, salon.alex, salon.clients[1], 14, salon.beard)
    ten = at(LONDON, 2026, 11, 30, 10)
    assert ten not in free_starts(container, salon, salon.sam, salon.haircut)

    page, problems = sign_in(chromium, live_app, "not-the-token", **DESKTOP)
    expect(page.get_by_role("alert")).to_have_text("That token is not valid.")
    page.get_by_label("Token").fill("test-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today, Mon 30 Nov 2026")
    sam, alex = page.get_by_role("region", name="Sam London time"), page.get_by_role("region", name="Alex London time")
    expect(sam.get_by_role("link")).to_have_count(1)
    assert shown(sam.get_by_role("link")) == ["10:00–10:45 confirmed", "Client 0", "Haircut"]
    assert shown(alex.get_by_role("link")) == ["14:00–14:20 confirmed", "Client 1 · Beard trim"]  # a short block
    no_page_scroll(page, 1280)
    screenshot(page, f"admin-day-desktop-{request.node.callspec.id}.png")

    sam.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Haircut with Sam")
    expect(page.locator(".facts")).to_contain_text("Mon 30 Nov 2026, 10:00–10:45 (London time)")
    page.get_by_label("Reason (the client is told)").fill("Sam is ill")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_role("status")).to_have_text("The appointment is cancelled; its time is free again.")
    expect(page.locator(".facts")).to_contain_text("cancelled")
    expect(page.locator(".facts")).to_contain_text("Sam is ill")
    screenshot(page, f"admin-cancelled-desktop-{request.node.callspec.id}.png")

    [row] = appointments(container.session_factory, id=sams.id)
    assert (row.status, row.cancellation_reason) == ("cancelled", "Sam is ill")
    assert ten in free_starts(container, salon, salon.sam, salon.haircut)
    with container.session_factory() as s:
        actors = s.scalars(select(AuditEntry.actor).where(AuditEntry.entity_id == sams.id,
                                                          AuditEntry.action == "cancel")).all()
    assert actors == ["admin"]
    page.get_by_role("link", name="‹ Back to Mon 30 Nov").click()  # the grid shows it cancelled, struck through
    expect(page.get_by_role("region", name="Sam London time").get_by_role("link")).to_contain_text(["cancelled"])
    assert others(problems) == [] and refusals(problems) == [401]  # the wrong token, once


@ONLY_SQLITE
def test_a_provider_sees_only_their_column_on_a_phone(chromium, live_app, container, salon):
    book(container, salon, salon.sam, salon.clients[0], 10)
    alexs = book(container, salon, salon.alex, salon.clients[1], 11)
    page, problems = sign_in(chromium, live_app, provider_token(container, salon, salon.sam), **PHONE)
    expect(page.get_by_role("region", name="Sam London time").get_by_role("link")).to_contain_text(["Client 0"])
    expect(page.get_by_role("region", name="Alex London time")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Client 1")
    expect(page.get_by_role("link", name="Reports")).to_have_count(0)
    no_page_scroll(page, 390)
    screenshot(page, "admin-day-phone-provider.png")

    page.goto(f"{live_app}/admin/appointments/{alexs.id}")  # another provider's: as if it did not exist
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert page.goto(f"{live_app}/admin/reports").status == 403
    assert page.goto(f"{live_app}/admin/week?provider={salon.alex}").status == 404
    page.goto(f"{live_app}/admin/week")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam, week of Mon 30 Nov")
    no_page_scroll(page, 390)
    screenshot(page, "admin-week-phone-provider.png")
    assert others(problems) == [] and refusals(problems) == [404, 403, 404]  # only the refusals asked for


@ONLY_SQLITE
def test_a_move_to_a_time_taken_meanwhile_shows_why_on_the_page(chromium, live_app, container, salon):
    sams = book(container, salon, salon.sam, salon.clients[0], 10)
    page, problems = sign_in(chromium, live_app, "test-token", **PHONE)
    page.goto(f"{live_app}/admin/appointments/{sams.id}")
    page.get_by_label("New time (London time)").select_option(label="14:00")
    book(container, salon, salon.sam, salon.clients[1], 14)  # someone books 14:00 while the page is open
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_role("alert")).to_have_text("That time has just been booked by someone else.")
    expect(page.locator(".facts")).to_contain_text("10:00–10:45")
    no_page_scroll(page, 390)
    screenshot(page, "admin-move-taken-phone.png")

    page.get_by_label("New time (London time)").select_option(label="15:00")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_have_text("The appointment is moved.")
    expect(page.locator(".facts")).to_contain_text("15:00–15:45")
    assert appointments(container.session_factory, id=sams.id)[0].start_at == at(LONDON, 2026, 11, 30, 15)
    assert others(problems) == [] and refusals(problems) == [409]


@ONLY_SQLITE
def test_reports_waiting_list_and_send_again(chromium, live_app, container, salon, request):
    sams = book(container, salon, salon.sam, salon.clients[0], 10)
    with container.session_factory() as s:
        s.add(Notification(appointment_id=sams.id, user_id=salon.clients[0], channel="telegram", kind="reminder",
                           dedupe_key="test:failed", status="failed", attempts=5, error="chat not found"))
        s.commit()
    page, problems = sign_in(chromium, live_app, "test-token", **DESKTOP)
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("table")).to_contain_text("chat not found")
    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_role("status")).to_contain_text("queued to be sent again")
    with container.session_factory() as s:
        assert s.scalar(select(Notification.status).where(Notification.dedupe_key == "test:failed")) == "queued"

    page.get_by_role("link", name="Waiting list").click()
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("img", name="Bookings per provider")).to_be_visible()
    expect(page.get_by_role("img", name="When bookings start")).to_be_visible()
    expect(page.locator("table.figures").first).to_contain_text("Sam")
    no_page_scroll(page, 1280)
    screenshot(page, "admin-reports-desktop.png")
    page.set_viewport_size({"width": 390, "height": 844})
    no_page_scroll(page, 390)
    screenshot(page, "admin-reports-phone.png")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(f"{live_app}/admin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert problems == []


# -- over HTTP ---------------------------------------------------------------------------------
def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


@ONLY_SQLITE
def test_the_session_cookie_is_opaque_and_strict_and_forms_need_the_csrf_token(web, container, salon):
    sams = book(container, salon, salon.sam, salon.clients[0], 10)
    signed = web.post("/admin/signin", data={"token": "test-token"}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "test-token" not in cookie
    page = web.get(f"/admin/appointments/{sams.id}")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src" not in policy and "<script" not in page.text

    forged = web.post(f"/admin/appointments/{sams.id}/cancel", data={"reason": "x"})
    assert forged.status_code == 400 and "This form has expired" in forged.text
    other_site = web.post(f"/admin/appointments/{sams.id}/cancel", data={"csrf": csrf_of(page.text)},
                          headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 400 and "another site" in other_site.text
    assert appointments(container.session_factory, id=sams.id)[0].status == "confirmed"


@ONLY_SQLITE
def test_bad_tokens_clients_and_unknown_ids_get_pages_not_500s(web, container, salon, tmp_path):
    assert web.get("/admin", follow_redirects=False).headers["location"] == "/admin/signin"
    bad = web.post("/admin/signin", data={"token": "x" * 5000})
    assert bad.status_code == 401 and "That token is not valid." in bad.text
    client = web.post("/admin/signin", data={"token": client_token(container, salon)}, follow_redirects=False)
    assert client.status_code == 403 and "token cannot sign in here" in client.text
    assert "set-cookie" not in client.headers

    web.post("/admin/signin", data={"token": "test-token"})
    for path in ("/admin/appointments/999", "/admin/appointments/abc", "/admin/nowhere", "/admin/week?provider=99"):
        answer = web.get(path)
        assert answer.status_code == 404 and "Not found" in answer.text, path
    assert web.get("/admin?day=not-a-day").status_code == 422


@ONLY_SQLITE
def test_a_revoked_token_ends_its_session(web, container, salon):
    token = provider_token(container, salon, salon.sam)
    web.post("/admin/signin", data={"token": token})
    assert web.get("/admin").status_code == 200
    tokens = ApiTokens(container.session_factory, clock=container.clock)
    tokens.revoke(tokens.listed()[-1].id)
    ended = web.get("/admin")
    assert "Your token was revoked or has expired" in ended.text and ended.url.path == "/admin/signin"


@ONLY_SQLITE
def test_an_https_public_url_makes_the_cookie_secure(engine, redis_client, clock, salon, tmp_path):
    from tests.chat_helpers import web_client

    with web_client(engine, redis_client, clock, tmp_path, SLOTLINE_PUBLIC_URL="https://salon.example") as web:
        signed = web.post("/admin/signin", data={"token": "test-token"}, follow_redirects=False)
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("__Host-slotline_admin=") and "Secure" in cookie and "Path=/" in cookie
