"""An appointment as an iCalendar file (RFC 5545), for the client's calendar.

One UID per appointment and the appointment's version as SEQUENCE, so a calendar that
imported the booking updates the same event when the moved one's file is opened.
`ics` is a file to open (METHOD:PUBLISH, for chats); `invitation` is what an email carries
(METHOD:REQUEST, or CANCEL with the same UID), so Google Calendar or Outlook keeps one event.
`feed` is a subscribed calendar (`core.booking.feeds`): the same events, many in one calendar,
so an appointment seen first in a confirmation and then in the feed is one event, not two.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event, vCalAddress

from core.notifications.attachment import Attachment

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
    tentative: bool = False  # a request still awaiting the provider's approval



def ics(entry: CalendarEntry, *, now: datetime) -> Attachment:
    calendar = _calendar("CANCEL" if entry.cancelled else "PUBLISH")
    calendar.add_component(_event(entry, now))
    return Attachment("appointment.ics", calendar.to_ical(), "text/calendar")


def invitation(entry: CalendarEntry, *, organizer: str, organizer_name: str, attendee: str, attendee_name: str,
               now: datetime) -> bytes:
    """An iTIP invitation (RFC 5546): METHOD:REQUEST, or METHOD:CANCEL for a cancelled appointment.

    The attendee has already accepted (they booked it), and no reply is asked for: the organizer
    is the business's sending address, which reads no mail."""
    calendar = _calendar("CANCEL" if entry.cancelled else "REQUEST")
    event = _event(entry, now)
    event.add("organizer", vCalAddress(f"mailto:{organizer}"), parameters={"CN": organizer_name})
    who = {"CN": attendee_name, "ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"}
    event.add("attendee", vCalAddress(f"mailto:{attendee}"),
              parameters=who if entry.cancelled else {**who, "PARTSTAT": "ACCEPTED"})
    calendar.add_component(event)
    return calendar.to_ical()


def feed(entries: list[CalendarEntry], *, name: str, now: datetime) -> bytes:
    """A calendar to subscribe to (RFC 5545, METHOD:PUBLISH), named `name` in the calendar app."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # Outlook's and Apple's name for the same hint
    for entry in entries:
        calendar.add_component(_event(entry, now))
    return calendar.to_ical()


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def _event(entry: CalendarEntry, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"appointment-{entry.appointment_id}@slotline")
    event.add("sequence", entry.version)
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", entry.start.astimezone(timezone.utc))
    event.add("dtend", entry.end.astimezone(timezone.utc))
    event.add("summary", entry.title)
    event.add("location", entry.location)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "TENTATIVE" if entry.tentative else "CONFIRMED")
    return event
