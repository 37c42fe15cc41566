"""REST: `/api/v1/waitlist` (list, join, leave) and removing time off, which offers the freed time to the list."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue, SimpleWorker

import worker
from core.booking import setup_writes
from core.db.session import UnitOfWork
from tests.api_helpers import (  # noqa: F401  (fixtures)
    AUTH, NOW, api_fixture, clock_fixture, container_fixture, created, make_client, make_provider, make_service, ok,
)

DAY = datetime(2025, 3, 24, tzinfo=timezone.utc)  # the Monday after NOW, London on GMT
URL = "/api/v1/waitlist"


@pytest.fixture(name="shop")
def shop_fixture(api) -> dict:
    service = make_service(api, "Haircut", 60)
    other = make_service(api, "Colour", 60)
    provider = make_provider(api, [service])
    return {"service": service, "other": other, "provider": provider, "bea": make_client(api, "Bea"),
            "cy": make_client(api, "Cy")}


def join(api, client_id: int, service_id: int, **extra):
    return api.post(URL, json={"clientId": client_id, "serviceId": service_id, "windowStart": DAY.isoformat(),
                               "windowEnd": (DAY + timedelta(days=1)).isoformat(), **extra})


def test_join_list_and_leave(api, shop):
    bea = created(join(api, shop["bea"], shop["service"]))
    assert bea["status"] == "waiting" and bea["providerId"] is None
    assert bea["windowStart"].startswith("2025-03-24T00:00:00") and bea["clientId"] == shop["bea"]
    assert created(join(api, shop["bea"], shop["service"]))["id"] == bea["id"]  # joining twice keeps one entry
    cy = created(join(api, shop["cy"], shop["service"], providerId=shop["provider"]))
    assert [e["id"] for e in ok(api.get(URL))] == [bea["id"], cy["id"]]  # in the order they joined
    assert [e["id"] for e in ok(api.get(URL, params={"clientId": shop["cy"]}))] == [cy["id"]]
    assert [e["id"] for e in ok(api.get(URL, params={"providerId": shop["provider"]}))] == [cy["id"]]
    assert ok(api.get(URL, params={"serviceId": shop["other"]})) == []

    left = ok(api.delete(f"{URL}/{bea['id']}"))
    assert left["status"] == "left"
    assert [e["status"] for e in ok(api.get(URL, params={"clientId": shop["bea"]}))] == ["left"]


@pytest.mark.parametrize(("change", "status", "detail"), [
    ({"clientId": 999}, 404, "client 999 not found"),
    ({"serviceId": 999}, 404, "service 999 not found"),
    ({"providerId": 999}, 404, "provider 999 not found"),
    ({"windowEnd": DAY.isoformat()}, 422, "must end after it starts"),
    ({"windowStart": "2025-03-01T00:00:00Z", "windowEnd": "2025-03-02T00:00:00Z"}, 422, "already passed"),
    ({"windowEnd": "2025-09-01T00:00:00Z"}, 422, "at most 92 days"),
])
def test_bad_joins_are_refused_with_a_message(api, shop, change, status, detail):
    response = join(api, shop["bea"], shop["service"], **change)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]


def test_malformed_requests_are_422_and_unknown_entries_404(api, shop):
    assert api.post(URL, json={"clientId": shop["bea"], "serviceId": shop["service"],
                               "windowStart": "2025-03-24T00:00:00", "windowEnd": "2025-03-25T00:00:00Z"}
                    ).status_code == 422  # no zone offset
    assert api.post(URL, json={"clientId": shop["bea"], "serviceId": shop["service"], "colour": "blue",
                               "windowStart": DAY.isoformat(), "windowEnd": "2025-03-25T00:00:00Z"}).status_code == 422
    gone = api.delete(f"{URL}/12345")
    assert gone.status_code == 404 and gone.json()["detail"] == "waiting-list entry 12345 not found"
    assert api.get(URL, params={"clientId": "x"}).status_code == 422
    assert api.delete(f"{URL}/{created(join(api, shop['bea'], shop['service']))['id']}",
                      headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_provider_must_offer_the_service(api, shop):
    response = join(api, shop["bea"], shop["other"], providerId=shop["provider"])
    assert response.status_code == 422 and response.json()["detail"] == "Ana does not offer Colour"


@pytest.fixture(name="working")
def working_fixture(container) -> Iterator[None]:
    worker.install(container)
    yield
    worker.install(None)


def run_worker(container) -> None:
    SimpleWorker([Queue(worker.QUEUE, connection=container.redis)], connection=container.redis).work(burst=True)


def test_removing_time_off_offers_the_time_to_the_waiting_list(api, shop, container, working):
    with UnitOfWork(container.session_factory, write=True) as uow:  # Bea hears on the web chat
        setup_writes.link_identity(uow.session, user_id=shop["bea"], channel="web", external_id="web-bea")
        uow.commit()
    blocked = created(api.post(f"/api/v1/providers/{shop['provider']}/time-off", json={
        "startTime": "2025-03-24T09:00:00Z", "endTime": "2025-03-24T17:00:00Z"}))
    created(join(api, shop["bea"], shop["service"]))
    run_worker(container)
    assert container.senders["web"].inbox.read("web-bea")[0] == []

    removed = ok(api.delete(f"/api/v1/providers/{shop['provider']}/time-off/{blocked['id']}"))
    assert removed["id"] == blocked["id"]
    run_worker(container)
    [offer], _ = container.senders["web"].inbox.read("web-bea")
    assert offer["text"].startswith("Good news, Bea: a Haircut with Ana has opened up, Mon 24 Mar at 09:00")
    assert [c["label"] for c in offer["choices"]] == ["Book it", "No thanks"]
    assert [e["status"] for e in ok(api.get(URL))] == ["offered"]
    assert ok(api.get(f"/api/v1/providers/{shop['provider']}/availability", params={
        "serviceId": shop["service"], "startDate": "2025-03-24", "endDate": "2025-03-24"}))["slots"][0][
        "startTime"].startswith("2025-03-24T10:00")  # 09:00 is held for Bea

    assert api.delete(f"/api/v1/providers/{shop['provider']}/time-off/{blocked['id']}").status_code == 404
    assert api.delete(f"/api/v1/providers/{shop['provider']}/time-off/0").status_code == 422


def test_leaving_with_an_offer_out_passes_the_time_on(api, shop, container, working):
    with UnitOfWork(container.session_factory, write=True) as uow:
        for who in ("bea", "cy"):
            setup_writes.link_identity(uow.session, user_id=shop[who], channel="web", external_id=f"web-{who}")
        uow.commit()
    blocked = created(api.post(f"/api/v1/providers/{shop['provider']}/time-off", json={
        "startTime": "2025-03-24T09:00:00Z", "endTime": "2025-03-24T10:00:00Z"}))
    bea = created(join(api, shop["bea"], shop["service"]))
    created(join(api, shop["cy"], shop["service"]))
    ok(api.delete(f"/api/v1/providers/{shop['provider']}/time-off/{blocked['id']}"))
    run_worker(container)
    assert len(container.senders["web"].inbox.read("web-bea")[0]) == 1
    assert container.senders["web"].inbox.read("web-cy")[0] == []

    ok(api.delete(f"{URL}/{bea['id']}"))
    run_worker(container)
    [offer], _ = container.senders["web"].inbox.read("web-cy")
    assert offer["text"].startswith("Good news, Cy: a Haircut with Ana has opened up, Mon 24 Mar at 09:00")
