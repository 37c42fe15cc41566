"""A person's data exported and erased: `GET /api/v1/users/{id}/export`, `POST /api/v1/users/{id}/erase`,
`slotline export USER_ID` and `slotline erase USER_ID`.

Zelda books over the web chat and Telegram, talks to the Slack app, books a weekly series, has her son
booked by her, cancels one occurrence with a reason naming herself, joins the waiting list, gets a
calendar feed and a reminder. After her erasure no table and no Redis key holds her name, number,
address or chat ids, and the business's report counts the same.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.booking import setup_writes
from core.conversation.messages import Inbound
from core.db.models import Appointment, AuditEntry, Base, Provider, User
from core.db.session import UnitOfWork
from tests.factories import at
from tests.notification_helpers import doubles_fixture, make_desk  # noqa: F401  (doubles_fixture: a fixture)
from webhooks.app import create_app

LDN = "Europe/London"
NOW = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)  # Monday 11 January 2027, 08:00 London (GMT)
NAME, PHONE, EMAIL = "Zelda Quirke", "+442079460735", "zelda.quirke@example.org"
TELEGRAM, WEB, SLACK = "987654321", "web-zq-4471xk", "U0ZQ4471X"
SON = "Milo Quirke"
SECRETS = (NAME, "Zelda", "Quirke", PHONE, PHONE[1:], EMAIL, TELEGRAM, WEB, SLACK)
REPORT = "/api/v1/reports/summary?from=2027-01-01&to=2027-02-28"


@pytest.fixture(name="desk")
def desk_fixture(engine, redis_client, tmp_path, doubles):
    yield from make_desk(engine, redis_client, tmp_path, doubles, NOW)


@pytest.fixture(name="api")
def api_fixture(desk):
    with TestClient(create_app(desk.container), headers={"Authorization": "Bearer test-token"}) as client:
        yield client


def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


def say(desk, channel: str, sender: str, text: str) -> str:
    replies = desk.container.assistant.handle(Inbound(channel=channel, sender=sender, text=text))
    return "\n".join(reply.text for reply in replies)


def zelda(api, desk) -> int:
    """Zelda, with her number and address, known on Telegram, in a web chat session and in Slack."""
    user_id = ok(api.post("/api/v1/users", json={"name": NAME, "phone": PHONE, "email": EMAIL, "role": "client",
                                                 "timezone": LDN}), 201)["id"]
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        for channel, external_id in (("telegram", TELEGRAM), ("web", WEB), ("slack", SLACK)):
            setup_writes.link_identity(uow.session, user_id=user_id, channel=channel, external_id=external_id)
        uow.commit()
    return user_id


def a_history(api, desk) -> dict:
    """Zelda's realistic history; returns the ids the checks need."""
    salon, client = desk.salon, zelda(api, desk)
    assert "Shall I book it?" in say(desk, "web", WEB, "a beard trim with Sam tomorrow at 11")
    assert "Booked!" in say(desk, "web", WEB, "yes")
    desk.work()  # its confirmation goes to the channel she last talked on: into the web session's inbox
    say(desk, "slack", SLACK, "hi")
    say(desk, "sms", PHONE, "hi")  # an SMS conversation is kept under her number
    assert "Shall I book it?" in say(desk, "telegram", TELEGRAM, "a haircut with Alex on Wednesday at 10")
    assert "Booked!" in say(desk, "telegram", TELEGRAM, "yes")
    say(desk, "telegram", TELEGRAM, "add my appointments to my calendar")
    series = ok(api.post("/api/v1/appointments/series", json={
        "serviceId": salon.haircut, "providerId": salon.sam, "clientId": client,
        "startTime": at(LDN, 2027, 1, 14, 14).isoformat(), "recurrence": "FREQ=WEEKLY;COUNT=3"}), 201)
    last = series["booked"][-1]["id"]
    ok(api.request("DELETE", f"/api/v1/appointments/{last}",
                   json={"cancellationReason": f"{NAME} is away, call {PHONE} or {EMAIL}"}))
    ok(api.post("/api/v1/waitlist", json={"clientId": client, "serviceId": salon.haircut, "providerId": salon.sam,
                                          "windowStart": at(LDN, 2027, 1, 18, 9).isoformat(),
                                          "windowEnd": at(LDN, 2027, 1, 18, 12).isoformat()}), 201)
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        son = setup_writes.create_user(uow.session, name=SON)
        son.booker_id = client
        uow.commit()
        son_id = son.id
    ok(api.post("/api/v1/appointments", json={"serviceId": salon.beard, "providerId": salon.alex, "clientId": son_id,
                                              "startTime": at(LDN, 2027, 1, 15, 15).isoformat()}), 201)
    desk.work()  # the other confirmations, to Telegram (her last channel)
    desk.at(at(LDN, 2027, 1, 12, 10, 5))  # the reminders of Tuesday's trim and Wednesday's haircut go out
    assert any("Reminder" in m["text"] for m in desk.telegram.params("sendMessage")
               if str(m["chat_id"]) == TELEGRAM)
    desk.at(at(LDN, 2027, 1, 12, 12))  # Tuesday's trim is over
    issued = ok(api.post("/api/v1/tokens", json={"userId": client, "name": f"{NAME}'s phone"}), 201)
    ok(as_token(api, issued["token"]).patch(f"/api/v1/users/{client}", json={"timezone": LDN}))  # her own change
    return {"client": client, "son": son_id, "series": series["seriesId"], "token": issued["token"],
            "token_id": issued["id"]}


def as_token(api, token: str) -> TestClient:
    return TestClient(api.app, headers={"Authorization": f"Bearer {token}"})


def personal_rows(engine) -> list[str]:
    """Every cell of every table that still holds one of Zelda's secrets, as `table.column: value`."""
    found = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    text = str(value)
                    if any(secret in text for secret in SECRETS + (SON,)):
                        found.append(f"{table.name}.{column}: {text}")
    return found


def personal_keys(redis) -> list[str]:
    """Every Redis key whose name or value holds one of Zelda's secrets."""
    found = []
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key).decode()
        if kind == "string":
            values = [redis.get(key)]
        elif kind == "list":
            values = redis.lrange(key, 0, -1)
        elif kind == "hash":
            values = [b" ".join((k, v)) for k, v in redis.hgetall(key).items()]
        elif kind in ("set", "zset"):
            values = list(redis.smembers(key)) if kind == "set" else redis.zrange(key, 0, -1)
        elif kind == "stream":
            values = [repr(entry).encode() for entry in redis.xrange(key)]
        else:
            values = []
        text = key.decode(errors="replace") + " " + " ".join(v.decode("utf-8", "replace") for v in values if v)
        if any(secret in text for secret in SECRETS + (SON,)):
            found.append(text[:300])
    return found


def test_an_erased_client_leaves_nothing_behind_and_the_figures_stay(api, desk, engine):
    ids = a_history(api, desk)
    redis = desk.container.redis
    assert personal_rows(engine) and personal_keys(redis)  # the scans see what there is to see
    before = ok(api.get(REPORT))
    assert before["total"]["bookings"] >= 4 and before["total"]["cancellations"] == 1
    with UnitOfWork(desk.container.session_factory) as uow:
        kept = {a.id: a.confirmation_code for a in uow.session.scalars(select(Appointment))}

    erased = ok(api.post(f"/api/v1/users/{ids['client']}/erase"))
    assert erased["name"] == f"Erased client #{ids['client']}"
    assert erased["removed"]["identities"] == 3 and erased["removed"]["redisKeys"] >= 3
    assert erased["dependantsErased"] == [ids["son"]] and erased["removed"]["apiTokensRevoked"] == 1
    refused = as_token(api, ids["token"]).get(f"/api/v1/users/{ids['client']}")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

    assert personal_rows(engine) == []
    assert personal_keys(redis) == []
    assert ok(api.get(REPORT)) == before
    with UnitOfWork(desk.container.session_factory) as uow:
        s = uow.session
        assert {a.id: a.confirmation_code for a in s.scalars(select(Appointment))} == kept
        mine = list(s.scalars(select(Appointment).where(Appointment.client_id == ids["client"])))
        assert len(mine) == 5 and all(a.notes is None and a.cancellation_reason is None for a in mine)
        user = s.get(User, ids["client"])
        assert (user.name, user.phone, user.email, user.timezone) == (f"Erased client #{ids['client']}", None,
                                                                       None, None)
        assert s.get(User, ids["son"]).name == f"Erased client #{ids['son']}"
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "erase", AuditEntry.entity_id == user.id))
        assert entry.details["removed"]["identities"] == 3 and entry.actor == "admin"
    assert ok(api.get(f"/api/v1/users/{ids['client']}"))["name"] == f"Erased client #{ids['client']}"

    again = ok(api.post(f"/api/v1/users/{ids['client']}/erase"))  # harmless: nothing left, no second entry
    assert not any(again["removed"].values()) and again["dependantsErased"] == []
    with UnitOfWork(desk.container.session_factory) as uow:
        assert len(list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "erase",
                                                                     AuditEntry.entity == "user")))) == 2
    assert ok(api.get(REPORT)) == before


def test_the_export_holds_the_appointments_identities_and_what_redis_keeps(api, desk):
    ids = a_history(api, desk)
    export = ok(api.get(f"/api/v1/users/{ids['client']}/export"))
    assert export["user"] | {"createdAt": None} == {
        "id": ids["client"], "name": NAME, "email": EMAIL, "phone": PHONE, "role": "client", "timezone": LDN,
        "preferredChannel": None, "lastChannel": "telegram", "bookerId": None, "createdAt": None}
    assert sorted((i["channel"], i["externalId"]) for i in export["identities"]) == [
        ("slack", SLACK), ("telegram", TELEGRAM), ("web", WEB)]
    with UnitOfWork(desk.container.session_factory) as uow:
        mine = {a.id: a for a in uow.session.scalars(select(Appointment).where(Appointment.client_id == ids["client"]))}
    assert {a["id"] for a in export["appointments"]} == set(mine)
    cancelled = next(a for a in export["appointments"] if a["status"] == "cancelled")
    assert cancelled["cancellationReason"].startswith(NAME) and cancelled["confirmationCode"] == \
        mine[cancelled["id"]].confirmation_code
    assert {a["channel"] for a in export["appointments"]} >= {"web", "telegram"}
    assert [s["id"] for s in export["series"]] == [ids["series"]]
    assert {"confirmation", "reminder"} <= {n["kind"] for n in export["notifications"]}
    assert any(n["kind"] == "reminder" and n["status"] == "sent" for n in export["notifications"])
    [entry] = export["waitlist"]
    assert entry["status"] == "waiting" and entry["windowStart"] == "2027-01-18T09:00:00Z"
    assert [f["ownerKind"] for f in export["calendarFeeds"]] == ["client"]
    assert "secretHash" not in json.dumps(export) and "nonce" not in json.dumps(export["calendarFeeds"])
    assert [d["id"] for d in export["bookedFor"]] == [ids["son"]]
    assert {"book", "cancel"} <= {a["action"] for a in export["audit"]}
    assert ("update", f"client:{ids['client']}") in {(a["action"], a["actor"]) for a in export["audit"]}
    [token] = export["apiTokens"]
    assert token | {"createdAt": None} == {"id": ids["token_id"], "name": f"{NAME}'s phone", "prefix": ids["token"][:8],
                                           "createdAt": None, "expiresAt": None, "revokedAt": None}
    assert ids["token"] not in json.dumps(export) and "hash" not in json.dumps(export["apiTokens"]).lower()
    assert {(c["channel"], c["externalId"]) for c in export["conversations"]} >= {
        ("telegram", TELEGRAM), ("web", WEB), ("slack", SLACK), ("sms", PHONE)}
    [inbox] = export["webChatInbox"]
    assert inbox["session"] == WEB and any("Booked" in m["text"] for m in inbox["messages"])

    gone = ok(api.post(f"/api/v1/users/{ids['client']}/erase"))
    assert gone["removed"]["identities"] == 3
    after = ok(api.get(f"/api/v1/users/{ids['client']}/export"))
    assert after["identities"] == [] and after["conversations"] == [] and after["webChatInbox"] == []
    assert {a["id"] for a in after["appointments"]} == set(mine) and after["user"]["phone"] is None
    [token] = after["apiTokens"]
    assert token["revokedAt"] is not None and token["name"] is None


def test_an_unknown_user_is_404_and_a_provider_with_appointments_to_come_is_refused(api, desk):
    client = zelda(api, desk)
    token = ok(api.post("/api/v1/tokens", json={"userId": client}), 201)["token"]
    for method, path in (("GET", f"/api/v1/users/{client}/export"), ("POST", f"/api/v1/users/{client}/erase")):
        refused = api.request(method, path, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", refused.text
    assert ok(api.get(f"/api/v1/users/{client}"))["name"] == NAME
    for path in ("/api/v1/users/999999/export", "/api/v1/users/999999/erase"):
        response = api.request("GET" if path.endswith("export") else "POST", path)
        assert response.status_code == 404 and response.json() == {"detail": "user 999999 not found",
                                                                    "code": "not_found"}
    sam = ok(api.post("/api/v1/users", json={"name": "Sam Provider", "email": "sam@salon.test",
                                             "role": "provider"}), 201)["id"]
    with UnitOfWork(desk.container.session_factory, write=True) as uow:
        uow.session.get(Provider, desk.salon.sam).user_id = sam
        uow.commit()
    booked = ok(api.post("/api/v1/appointments", json={"serviceId": desk.salon.haircut, "providerId": desk.salon.sam,
                                                       "clientId": client,
                                                       "startTime": at(LDN, 2027, 1, 12, 10).isoformat()}), 201)
    refused = api.post(f"/api/v1/users/{sam}/erase")
    assert refused.status_code == 409 and refused.json()["code"] == "erasure_refused"
    assert "appointments still to come" in refused.json()["detail"]
    assert ok(api.get(f"/api/v1/users/{sam}"))["name"] == "Sam Provider"  # nothing was touched
    export = ok(api.get(f"/api/v1/users/{sam}/export"))
    assert [(a["id"], a["as"]) for a in export["appointments"]] == [(booked["id"], "provider")]

    ok(api.delete(f"/api/v1/appointments/{booked['id']}"))
    erased = ok(api.post(f"/api/v1/users/{sam}/erase"))
    assert erased["name"] == f"Erased provider #{sam}" and erased["removed"]["providerProfiles"] == 1
    with UnitOfWork(desk.container.session_factory) as uow:
        provider = uow.session.get(Provider, desk.salon.sam)
        assert (provider.name, provider.email, provider.active) == (f"Erased provider #{desk.salon.sam}", None, False)


def test_slotline_export_and_erase(api, desk, engine, redis_client, redis_url):
    client = zelda(api, desk)
    say(desk, "telegram", TELEGRAM, "hi")
    env = {"PATH": "/usr/bin:/bin", "SLOTLINE_DATA_DIR": str(desk.container.settings.data_dir),
           "SLOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False), "SLOTLINE_REDIS_URL": redis_url}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "slotline.cli", *args], env=env, capture_output=True, text=True,
                              timeout=120, cwd=Path(__file__).parents[1])

    exported = run("export", str(client))
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["user"]["name"] == NAME and [c["channel"] for c in data["conversations"]] == ["telegram"]

    erased = run("erase", str(client))
    assert erased.returncode == 0, erased.stderr
    assert f"user {client} is now 'Erased client #{client}'" in erased.stdout and "identities: 3" in erased.stdout
    assert ok(api.get(f"/api/v1/users/{client}"))["name"] == f"Erased client #{client}"
    assert redis_client.get(f"slotline:conv:state:telegram:{TELEGRAM}") is None
    again = run("erase", str(client))
    assert again.returncode == 0 and "nothing left to remove" in again.stdout

    unknown = run("erase", "999999")
    assert unknown.returncode == 1 and "user 999999 not found" in unknown.stderr
    assert run("export", "999999").returncode == 1

