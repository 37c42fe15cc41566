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
    text = f"{moment.astimezone(ZoneInfo(zone)):%a} {moment.astimezone(ZoneInfo(zone)).day} " if show_day else ""
    text += clock(moment, zone)
    return f"{text} with {provider}" if provider else text
