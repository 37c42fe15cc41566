"""Why nothing is free on a day, when the reason is the calendar: said as a receptionist says it.

"We're closed on Sundays.", "We're closed on Fri 25 Dec.", "Alex doesn't work on Mondays.",
"Jordan is off on Thu 24 Dec." From the providers' schedules (`Desk.working_times`), never made
up; None when people work that day and it is simply full.
"""
from __future__ import annotations

from datetime import date

from core.conversation import hours
from core.conversation.turn import Turn


def reason(turn: Turn, day: date) -> str | None:
    """Why nothing can be booked on `day` with the provider asked for (or anyone), if the day is closed."""
    times = turn.desk.working_times()
    schedules, weekday = times.schedules, day.isoweekday()
    plural = hours.DAY_NAMES[weekday - 1] + "s"
    if schedules and not any(hours.weekly(s, weekday) for s in schedules.values()):
        return f"We're closed on {plural}."
    if schedules and not any(hours.on_date(s, day) for s in schedules.values()):
        return f"We're closed on {hours.day_text(day)}."
    provider_id = turn.convo.provider_id
    if provider_id in schedules:
        name, schedule = times.names[provider_id], schedules[provider_id]
        if not hours.weekly(schedule, weekday) and day not in schedule.overrides:
            return f"{name} doesn't work on {plural}."
        if not hours.on_date(schedule, day):
            return f"{name} is off on {hours.day_text(day)}."
        return None
    doing = [p for p in turn.catalogue.offers.get(turn.convo.service_id, ()) if p in schedules]
    if doing and not any(hours.on_date(schedules[p], day) for p in doing):
        return f"Nobody who does a {turn.service_name(turn.convo.service_id)} is in on {hours.day_text(day)}."
    return None
