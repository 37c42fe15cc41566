"""Setting up the business: users, services, providers, resources, hours and time off.

Keyword-only functions over a session; callers own the transaction. Each validates what a
person could get wrong and raises a typed error with a message fit to show them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.booking import errors
from core.booking.schedules import bump_catalogue, bump_schedule
from core.db.models import (
    Break, ChannelIdentity, DateOverride, Provider, Resource, Service, TimeOff, User, WeeklyHours,
)

ROLES = ("client", "provider", "admin")


@dataclass(frozen=True)
class Window:
    """Wall-clock hours on an ISO weekday (1 = Monday); end 00:00 means midnight."""

    day_of_week: int
    start: time
    end: time


def check_zone(name: str) -> str:
    if not is_zone(name):
        raise errors.InvalidRequest(f"{name!r} is not a known IANA time zone, like Europe/London")
    return name


def is_zone(name: str) -> bool:
    """True for an IANA zone name; "America" (a directory) or junk is not one."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def normalise_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of a phone number, or InvalidRequest."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise errors.InvalidRequest(f"{raw!r} is not a phone number; use the international form, like +442079460958") from None
    if not phonenumbers.is_valid_number(number):
        raise errors.InvalidRequest(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def create_user(s: Session, *, name: str, email: str | None = None, phone: str | None = None,
                role: str = "client", timezone: str | None = None) -> User:
    if role not in ROLES:
        raise errors.InvalidRequest(f"role must be one of {', '.join(ROLES)}")
    phone = normalise_phone(phone) if phone else None
    email = email.strip().lower() if email else None
    if email and s.scalar(select(User.id).where(User.email == email)):
        raise errors.AlreadyExists(f"a user with email {email} already exists")
    if phone and s.scalar(select(User.id).where(User.phone == phone)):
        raise errors.AlreadyExists(f"a user with phone {phone} already exists")
    user = User(name=name.strip(), email=email, phone=phone, role=role,
                timezone=check_zone(timezone) if timezone else None)
    s.add(user)
    s.flush()
    return user


def create_resource(s: Session, *, name: str, kind: str = "room") -> Resource:
    if s.scalar(select(Resource.id).where(Resource.name == name)):
        raise errors.AlreadyExists(f"a resource named {name!r} already exists")
    resource = Resource(name=name, kind=kind)
    s.add(resource)
    s.flush()
    bump_catalogue(s)
    return resource


def create_service(s: Session, *, name: str, duration_minutes: int, description: str | None = None,
                   price: Decimal | None = None, buffer_before_minutes: int = 0, buffer_after_minutes: int = 0,
                   resource_ids: list[int] = (), synonyms: list[str] = (), needs_approval: bool = False) -> Service:
    if not 5 <= duration_minutes <= 24 * 60:
        raise errors.InvalidRequest("duration must be between 5 and 1440 minutes")
    if not (0 <= buffer_before_minutes <= 240 and 0 <= buffer_after_minutes <= 240):
        raise errors.InvalidRequest("buffers must be between 0 and 240 minutes")
    if s.scalar(select(Service.id).where(Service.name == name)):
        raise errors.AlreadyExists(f"a service named {name!r} already exists")
    service = Service(name=name, description=description, duration_minutes=duration_minutes, price=price,
                      buffer_before_minutes=buffer_before_minutes, buffer_after_minutes=buffer_after_minutes,
                      synonyms=list(synonyms), needs_approval=needs_approval,
                      resources=[_get(s, Resource, rid) for rid in dict.fromkeys(resource_ids)])
    s.add(service)
    s.flush()
    bump_catalogue(s)
    return service


def create_provider(s: Session, *, name: str, timezone: str, service_ids: list[int] = (),
                    user_id: int | None = None, email: str | None = None, slack_user_id: str | None = None,
                    daily_limit: int | None = None) -> Provider:
    if s.scalar(select(Provider.id).where(Provider.name == name)):
        raise errors.AlreadyExists(f"a provider named {name!r} already exists")
    if daily_limit is not None and daily_limit < 1:
        raise errors.InvalidRequest("dailyLimit must be at least 1")
    if slack_user_id and s.scalar(select(Provider.id).where(Provider.slack_user_id == slack_user_id)):
        raise errors.AlreadyExists(f"Slack user {slack_user_id} is already linked to a provider")
    if user_id is not None:
        _get(s, User, user_id)
    provider = Provider(name=name, timezone=check_zone(timezone), user_id=user_id, email=email,
                        slack_user_id=slack_user_id, daily_limit=daily_limit,
                        services=[_get(s, Service, sid) for sid in dict.fromkeys(service_ids)])
    s.add(provider)
    s.flush()
    bump_catalogue(s)
    return provider


def set_weekly_hours(s: Session, *, provider_id: int, windows: list[Window],
                     breaks: list[Window] | None = None) -> None:
    """Replace a provider's weekly hours, and their breaks unless `breaks` is None."""
    _get(s, Provider, provider_id)
    for label, items in (("hours", windows), ("breaks", breaks or [])):
        _check_windows(items, label)
    s.execute(delete(WeeklyHours).where(WeeklyHours.provider_id == provider_id))
    s.add_all(WeeklyHours(provider_id=provider_id, day_of_week=w.day_of_week, start_time=w.start, end_time=w.end)
              for w in windows)
    if breaks is not None:
        s.execute(delete(Break).where(Break.provider_id == provider_id))
        s.add_all(Break(provider_id=provider_id, day_of_week=b.day_of_week, start_time=b.start, end_time=b.end)
                  for b in breaks)
    bump_schedule(s, provider_id)
    s.flush()


def set_date_override(s: Session, *, provider_id: int, day: date, windows: list[tuple[time, time]] = ()) -> None:
    """Replace the hours of one date; no windows means closed that day."""
    _get(s, Provider, provider_id)
    _check_windows([Window(day.isoweekday(), a, b) for a, b in windows], "hours")
    s.execute(delete(DateOverride).where(DateOverride.provider_id == provider_id, DateOverride.date == day))
    if windows:
        s.add_all(DateOverride(provider_id=provider_id, date=day, start_time=a, end_time=b) for a, b in windows)
    else:
        s.add(DateOverride(provider_id=provider_id, date=day))
    bump_schedule(s, provider_id)
    s.flush()


def add_time_off(s: Session, *, provider_id: int, start: datetime, end: datetime, reason: str | None = None) -> TimeOff:
    _get(s, Provider, provider_id)
    if start.tzinfo is None or end.tzinfo is None:
        raise errors.InvalidRequest("time off needs times with a zone offset")
    if end <= start:
        raise errors.InvalidRequest("time off must end after it starts")
    existing = s.scalar(select(TimeOff).where(TimeOff.provider_id == provider_id, TimeOff.start_at == start,
                                              TimeOff.end_at == end))
    if existing is not None:
        return existing
    entry = TimeOff(provider_id=provider_id, start_at=start, end_at=end, reason=reason)
    s.add(entry)
    bump_schedule(s, provider_id)
    s.flush()
    return entry


def link_identity(s: Session, *, user_id: int, channel: str, external_id: str) -> ChannelIdentity:
    """Say that a Telegram chat, Slack user, phone or web session speaks for this user."""
    identity = s.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == channel,
                                                      ChannelIdentity.external_id == external_id))
    if identity is None:
        identity = ChannelIdentity(user_id=user_id, channel=channel, external_id=external_id)
        s.add(identity)
    else:
        identity.user_id = user_id
    s.flush()
    return identity


def _check_windows(windows: list[Window], label: str) -> None:
    by_day: dict[int | None, list[Window]] = {}
    for w in windows:
        if w.day_of_week is not None and not 1 <= w.day_of_week <= 7:
            raise errors.InvalidRequest("dayOfWeek must be 1 (Monday) to 7 (Sunday)")
        if w.end != time(0) and w.end <= w.start:
            raise errors.InvalidRequest(f"{label} must end after they start ({w.start:%H:%M}-{w.end:%H:%M})")
        by_day.setdefault(w.day_of_week, []).append(w)
    for day, items in by_day.items():
        items.sort(key=lambda w: w.start)
        for a, b in zip(items, items[1:]):
            if a.end == time(0) or b.start < a.end:
                raise errors.InvalidRequest(f"{label} overlap on day {day}: {a.start:%H:%M}-{a.end:%H:%M} "
                                            f"and {b.start:%H:%M}-{b.end:%H:%M}")


def _get(s: Session, model, key: int):
    obj = s.get(model, key)
    if obj is None:
        raise errors.NotFound(f"{model.__name__.lower()} {key} not found")
    return obj
