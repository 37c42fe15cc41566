"""Block Kit for a provider's weekly summary (`core.notifications.weekly.WeeklySummary`). Pure.

A header naming the week (Monday to Sunday in the provider's zone), the week's figures as a
section's fields, and the week ahead as a context line. Money is shown as prices are in the chat.
"""
from __future__ import annotations

from datetime import date

from core.conversation.questions import money
from core.conversation.render import zone_label
from core.notifications.weekly import WeeklySummary


def weekly_message(summary: WeeklySummary) -> dict:
    """`chat.postMessage` arguments for the week just ended."""
    figures = summary.figures
    revenue = money(figures.revenue, summary.currency)
    text = (f"Your week, {week_label(summary.first, summary.last)}: {_count(figures.bookings, 'booking')}, "
            f"{revenue} revenue")
    fields = [("Bookings", str(figures.bookings)),
              ("Booked hours", f"{hours(figures.booked_minutes)}{occupancy(figures.occupancy)}"),
              ("Cancellations", f"{figures.cancellations} ({figures.late_cancellations} late)"),
              ("No-shows", str(figures.no_shows)),
              ("Revenue", revenue),
              ("Waiting list left unmet", str(figures.unmet_waitlist))]
    return {"text": text, "blocks": [
        {"type": "header", "text": {"type": "plain_text",
                                    "text": f"Your week · {week_label(summary.first, summary.last)}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
                                          f"This week: {_count(summary.coming, 'booking')} so far · "
                                          f"{zone_label(summary.timezone)}"}]}]}


def week_label(first: date, last: date) -> str:
    """ "Mon 22 – Sun 28 Mar", "Mon 29 Mar – Sun 4 Apr"."""
    start = f"{first:%a} {first.day}" if first.month == last.month else f"{first:%a} {first.day} {first:%b}"
    return f"{start} – {last:%a} {last.day} {last:%b}"


def hours(minutes: int) -> str:
    """ "1 h 50 min", "45 min", "3 h"."""
    h, m = divmod(minutes, 60)
    return " ".join(part for part in (f"{h} h" if h else "", f"{m} min" if m or not h else "") if part)


def occupancy(share: float | None) -> str:
    """ " (2% of open hours)"; nothing when the provider had no open hours."""
    return f" ({share:.0%} of open hours)" if share is not None else ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
