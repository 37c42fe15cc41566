"""Small businesses for tests, built through the same set-up functions the API and loader use."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone

from core.booking import setup_writes
from core.booking.business_file import load_business
from core.db.session import UnitOfWork


class FixedClock:
    """A clock tests can move; the booking core reads `now` only through it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# Monday 30 November 2026, 08:00 UTC: before the salon opens on the day.
MONDAY_MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


@dataclass
class Salon:
    haircut: int
    colour: int
    beard: int
    sam: int
    alex: int
    room: int
    clients: list[int]


def make_salon(session_factory, *, zone: str = "Europe/London", clients: int = 3, rules: dict | None = None,
               hours: dict | None = None) -> Salon:
    """Two providers in `zone`, 09:00-17:00 Mon-Fri with lunch 12:00-13:00, three services and a room."""
    spec = {
        "business": {"name": "Test salon", "timezone": zone, "minNoticeMinutes": 60, "horizonDays": 30,
                     "slotIntervalMinutes": 15, "cancellationWindowHours": 24, **(rules or {})},
        "resources": [{"name": "Colour room"}],
        "services": [
            {"name": "Haircut", "duration": 45, "bufferAfter": 15, "synonyms": ["hair cut", "cut", "trim"]},
            {"name": "Colour", "duration": 90, "bufferBefore": 15, "bufferAfter": 15, "resources": ["Colour room"],
             "synonyms": ["color", "dye"]},
            {"name": "Beard trim", "duration": 20, "synonyms": ["beard", "shave"]},
        ],
        "providers": [
            {"name": name, "timezone": zone, "services": ["Haircut", "Colour", "Beard trim"],
             "hours": hours or {"mon-fri": "09:00-17:00"}, "breaks": {"mon-fri": "12:00-13:00"}}
            for name in ("Sam", "Alex")
        ],
    }
    with UnitOfWork(session_factory, write=True) as uow:
        load_business(uow.session, spec)
        s = uow.session
        from core.db.models import Provider, Resource, Service

        ids = {sv.name: sv.id for sv in s.query(Service)}
        people = {p.name: p.id for p in s.query(Provider)}
        room = s.query(Resource).one().id
        client_ids = [setup_writes.create_user(s, name=f"Client {i}", timezone="America/New_York").id
                      for i in range(clients)]
        uow.commit()
    return Salon(haircut=ids["Haircut"], colour=ids["Colour"], beard=ids["Beard trim"], sam=people["Sam"],
                 alex=people["Alex"], room=room, clients=client_ids)


def at(zone: str, y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A local wall time in `zone`, as an aware datetime."""
    from zoneinfo import ZoneInfo

    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(zone))


__all__ = ["FixedClock", "MONDAY_MORNING", "Salon", "make_salon", "at", "time"]
