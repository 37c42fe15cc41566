"""Load a business described in YAML: its rules, resources, services, providers, hours and time off.

Loading is idempotent: things are matched by name and updated, hours are replaced, and time
off already present is not added twice. See config/demo.yaml for the format.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.booking import errors, policies, setup_writes
from core.booking.setup_writes import Window
from core.booking.schedules import bump_catalogue
from core.db.models import Business, Provider, Resource, Service

DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
RULES = {"minNoticeMinutes": "min_notice_minutes", "horizonDays": "horizon_days",
         "slotIntervalMinutes": "slot_interval_minutes", "cancellationWindowHours": "cancellation_window_hours",
         "holdMinutes": "hold_minutes", "confirmSmsCancel": "confirm_sms_cancel",
         "maxFutureBookings": "max_future_bookings", "verifyWebContact": "verify_web_contact",
         "currency": "currency", "noShowLimit": "no_show_limit", "approvalExpiryHours": "approval_expiry_hours",
         "contact": "contact"}
RULES["waitlistOfferMinutes"] = "waitlist_offer_minutes"  # a freed time is held this long for the one offered it


def load_file(s: Session, path: str | Path) -> dict[str, int]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise errors.InvalidRequest(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise errors.InvalidRequest(f"{path} should hold a mapping with business, services and providers")
    return load_business(s, data)


def load_business(s: Session, data: dict[str, Any]) -> dict[str, int]:
    """Apply a parsed business description; returns how many of each thing it holds."""
    business = _business(s, data.get("business") or {})
    resources = {r["name"]: _resource(s, r) for r in data.get("resources") or []}
    services = {sv["name"]: _service(s, sv, resources) for sv in data.get("services") or []}
    providers = [_provider(s, p, services, business.timezone) for p in data.get("providers") or []]
    s.flush()
    bump_catalogue(s)  # the rules, or a service's or provider's fields, may be all that changed
    return {"resources": len(resources), "services": len(services), "providers": len(providers)}


def _business(s: Session, spec: dict) -> Business:
    business = s.get(Business, 1) or Business(id=1)
    business.name = spec.get("name", business.name or "Slotline")
    business.timezone = setup_writes.check_zone(spec.get("timezone", business.timezone or "UTC"))
    for key, attr in RULES.items():
        if key in spec:
            setattr(business, attr, _rule(key, spec[key]))
    if business.currency is not None and not (isinstance(business.currency, str) and 0 < len(business.currency) <= 8):
        raise errors.InvalidRequest("currency should be a symbol or an ISO code, like GBP or £")
    s.add(business)
    return business


def _rule(key: str, value: Any) -> Any:
    """A policy's value, refused as the REST API refuses it (`core.booking.policies`)."""
    if key == "contact":
        return policies.check_contact(value)
    return policies.check(key, value) if key in policies.POLICIES else value


def _resource(s: Session, spec: dict) -> Resource:
    found = s.scalar(select(Resource).where(Resource.name == spec["name"]))
    if found is None:
        return setup_writes.create_resource(s, name=spec["name"], kind=spec.get("kind", "room"))
    found.kind = spec.get("kind", found.kind)
    return found


def _service(s: Session, spec: dict, resources: dict[str, Resource]) -> Service:
    fields = dict(duration_minutes=int(spec["duration"]), description=spec.get("description"),
                  price=Decimal(str(spec["price"])) if spec.get("price") is not None else None,
                  buffer_before_minutes=int(spec.get("bufferBefore", 0)),
                  buffer_after_minutes=int(spec.get("bufferAfter", 0)), synonyms=list(spec.get("synonyms", [])))
    needed = [_named(resources, name, "resource") for name in spec.get("resources", [])]
    found = s.scalar(select(Service).where(Service.name == spec["name"]))
    if found is None:
        found = setup_writes.create_service(s, name=spec["name"], resource_ids=[r.id for r in needed], **fields)
    for attr, value in fields.items():
        setattr(found, attr, value)
    found.resources = needed
    found.needs_approval = spec.get("needsApproval", False)
    if not isinstance(found.needs_approval, bool):
        raise errors.InvalidRequest(f"needsApproval of {spec['name']!r} must be true or false")
    return found


def _provider(s: Session, spec: dict, services: dict[str, Service], default_zone: str) -> Provider:
    zone = spec.get("timezone", default_zone)
    offered = [_named(services, name, "service") for name in spec.get("services", [])]
    found = s.scalar(select(Provider).where(Provider.name == spec["name"]))
    if found is None:
        found = setup_writes.create_provider(s, name=spec["name"], timezone=zone, service_ids=[sv.id for sv in offered])
    found.timezone, found.services = setup_writes.check_zone(zone), offered
    found.email, found.slack_user_id = spec.get("email"), spec.get("slackUserId")
    found.daily_limit = spec.get("dailyLimit")
    if "agendaTime" in spec:
        found.agenda_time = _time(spec["agendaTime"])
    s.flush()
    setup_writes.set_weekly_hours(s, provider_id=found.id, windows=_weekly(spec.get("hours") or {}),
                             breaks=_weekly(spec.get("breaks") or {}, every_day_ok=True))
    for day in spec.get("daysOff", []):
        setup_writes.set_date_override(s, provider_id=found.id, day=_date(day))
    for item in spec.get("overrides", []):
        setup_writes.set_date_override(s, provider_id=found.id, day=_date(item["date"]),
                                  windows=[_range(r) for r in item.get("hours", [])])
    for item in spec.get("timeOff", []):
        setup_writes.add_time_off(s, provider_id=found.id, start=_local(item["start"], zone),
                             end=_local(item["end"], zone), reason=item.get("reason"))
    return found


def _weekly(spec: dict | list, every_day_ok: bool = False) -> list[Window]:
    """`{"mon-fri": "09:00-17:00", "sat": ["10:00-12:00", "13:00-16:00"]}`; for breaks also a bare list (every day)."""
    if isinstance(spec, (list, str)) and every_day_ok:
        spec = {"every day": spec}
    windows = []
    for days, ranges in spec.items():
        for text in [ranges] if isinstance(ranges, str) else ranges:
            start, end = _range(text)
            for day in _days(str(days)):
                # "every day" is one break row for all days, but seven rows of hours.
                expanded = [day] if day is not None or every_day_ok else range(1, 8)
                windows.extend(Window(d, start, end) for d in expanded)
    return windows


def _days(text: str) -> list[int | None]:
    text = text.strip().lower()
    if text in ("every day", "daily", "all"):
        return [None]
    days: list[int | None] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        a, b = DAYS.get(first[:3]), DAYS.get((last or first)[:3])
        if a is None or b is None:
            raise errors.InvalidRequest(f"{text!r} is not a day or range of days like mon-fri")
        days.extend(range(a, b + 1))
    return days


def _range(text: str) -> tuple[time, time]:
    match = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", str(text))
    if not match:
        raise errors.InvalidRequest(f"{text!r} is not a range of times like 09:00-17:00")
    return _time(match[1]), _time(match[2])


def _time(text: str) -> time:
    hours, minutes = (int(x) for x in str(text).split(":"))
    return time(0) if hours == 24 and minutes == 0 else time(hours, minutes)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _local(value: Any, zone: str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0))
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _named(items: dict, name: str, what: str):
    if name not in items:
        raise errors.InvalidRequest(f"unknown {what} {name!r}; it must be listed under {what}s first")
    return items[name]
