"""How the assistant writes times, slots and appointments for people."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def zone_label(zone: str) -> str:
    """ "Europe/London" -> "London time"; "UTC" stays "UTC"."""
    if zone.upper() in ("UTC", "ETC/UTC", "GMT"):
        return "UTC"
    return zone.rsplit("/", 1)[-1].replace("_", " ") + " time"


def day_label(moment: datetime, zone: str, now: datetime | None = None) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    if now is not None:
        today = now.astimezone(ZoneInfo(zone)).date()
        delta = (local.date() - today).days
        if delta == 0:
            return f"today ({local:%a} {local.day} {local:%b})"
        if delta == 1:
            return f"tomorrow ({local:%a} {local.day} {local:%b})"
    return f"{local:%a} {local.day} {local:%b}"


def clock(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


def when(moment: datetime, zone: str, now: datetime | None = None) -> str:
    """ "Tue 1 Dec at 10:00" (or "tomorrow (Tue 1 Dec) at 10:00")."""
    return f"{day_label(moment, zone, now)} at {clock(moment, zone)}"


def slot_label(moment: datetime, zone: str, provider: str | None, show_day: bool) -> str:
    """ "10:00", "Mon 7 Dec 15:00" (`show_day`), "10:00 with Sam"."""
    text = f"{day_label(moment, zone)} " if show_day else ""
    text += clock(moment, zone)
    return f"{text} with {provider}" if provider else text


def either(items: list[str]) -> str:
    """ "17:00 or 18:00", "a, b or c" """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def both(items: list[str]) -> str:
    """ "Leo and Mia", "a, b and c" """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
