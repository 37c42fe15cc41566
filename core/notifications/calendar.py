"""An appointment as an iCalendar file (RFC 5545), for the client's calendar.

One UID per appointment and the appointment's version as SEQUENCE, so a calendar that
imported the booking updates the same event when the moved one's file is opened.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from icalendar import Calendar, Event

from core.notifications.sender import Attachment

PRODID = "-//Slotline//Appointments//EN"


@dataclass(frozen=True)
class CalendarEntry:
    appointment_id: int
    version: int
    start: datetime
    end: datetime
    title: str
    location: str
    description: str
    cancelled: bool = False


def ics(entry: CalendarEntry, *, now: datetime) -> Attachment:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"appointment-{entry.appointment_id}@slotline")
    event.add("sequence", entry.version)
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", entry.start.astimezone(timezone.utc))
    event.add("dtend", entry.end.astimezone(timezone.utc))
    event.add("summary", entry.title)
    event.add("location", entry.location)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    calendar.add_component(event)
    return Attachment("appointment.ics", calendar.to_ical(), "text/calendar")
