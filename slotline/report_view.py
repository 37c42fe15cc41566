"""`slotline report`: the reports (`core.booking.reports`) as tables in the terminal, drawn with rich."""
from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.table import Table

from core.booking.reports import WEEKDAYS, Figures, Heatmap, Summary

HEAT = " ░▒▓█"  # a cell's shade, by its share of the busiest hour


def show(console: Console, summary: Summary, heat: Heatmap) -> None:
    console.print(f"[bold]Slotline report[/bold]: {_day(summary.first)} – {_day(summary.last)} ({summary.timezone})")
    console.print(_figures("By provider", [(p.name, p.figures) for p in summary.providers], summary, occupancy=True))
    console.print(_figures("By service", [(sv.name, sv.figures) for sv in summary.services], summary, occupancy=False))
    console.print("Revenue: the service's price of each appointment completed, or confirmed and already over. "
                  f"Waiting-list demand left unmet that named no provider: {summary.unmet_any_provider}.")
    console.print(_heatmap(heat))


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _figures(title: str, rows: list[tuple[str, Figures]], summary: Summary, *, occupancy: bool) -> Table:
    money = f"Revenue ({summary.currency})" if summary.currency else "Revenue"
    table = Table(title=title, title_justify="left", show_footer=True)
    table.add_column("Name", footer="Total")
    columns = [("Bookings", lambda f: str(f.bookings)), ("Hours", lambda f: f"{f.booked_minutes / 60:.1f}")]
    if occupancy:
        columns.append(("Occupancy", lambda f: "-" if f.occupancy is None else f"{f.occupancy:.0%}"))
    columns += [("Cancelled", lambda f: str(f.cancellations)), ("Late", lambda f: str(f.late_cancellations)),
                ("No-shows", lambda f: str(f.no_shows)), (money, lambda f: f"{f.revenue:.2f}"),
                ("Unmet waits", lambda f: str(f.unmet_waitlist))]
    for header, cell in columns:
        table.add_column(header, justify="right", footer=cell(summary.total))
    for name, figures in rows:
        table.add_row(name, *(cell(figures) for _header, cell in columns))
    return table


def _heatmap(heat: Heatmap) -> Table:
    table = Table(title=f"Bookings by weekday and hour ({heat.timezone})", title_justify="left")
    busy = [h for h in range(24) if any(day[h] for day in heat.counts)]
    hours = list(range(min([*busy, 9]), max([*busy, 17]) + 1))  # a working day at least, with no gaps
    top = max((n for day in heat.counts for n in day), default=0) or 1
    table.add_column("Day")
    for hour in hours:
        table.add_column(f"{hour:02d}", justify="right")
    table.add_column("Total", justify="right")
    for name, day in zip(WEEKDAYS, heat.counts):
        table.add_row(name, *(_cell(day[h], top) for h in hours), str(sum(day)))
    return table


def _cell(count: int, top: int) -> str:
    return f"{HEAT[min(len(HEAT) - 1, -(-count * (len(HEAT) - 1) // top))]}{count}" if count else "·"
