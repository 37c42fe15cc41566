"""Redis-side coordination: a lock per provider and short holds on offered slots.

Neither is ever the only guard against double booking (the database is); both only make
contention cheaper and keep a slot for the client who is confirming it. When Redis cannot
be reached they step aside and the booking goes on, guarded by the database alone.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from redis import Redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

# Drop expired holds, refuse if another client holds an overlapping interval, else
# replace this client's previous hold for the provider with the new one.
_PLACE_HOLD = """
local key = KEYS[1]
local now, start_ts, end_ts = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local client, expiry, ttl = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
  local s, e, c = string.match(member, '^(%d+):(%d+):(.+)$')
  if c == client then
    redis.call('ZREM', key, member)
  elseif tonumber(s) < end_ts and start_ts < tonumber(e) then
    return 0
  end
end
redis.call('ZADD', key, expiry, start_ts .. ':' .. end_ts .. ':' .. client)
redis.call('EXPIRE', key, ttl)
return 1
"""


@dataclass(frozen=True)
class Hold:
    provider_id: int
    start: datetime
    end: datetime
    client_id: int
    expires_at: datetime


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def _dt(ts: str | int) -> datetime:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc)


class Coordination:
    """Provider locks and slot holds on one Redis (or on nothing, when `redis` is None)."""

    def __init__(self, redis: Redis | None, *, lock_timeout: float = 10.0, lock_wait: float = 5.0):
        self.redis = redis
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self._place = redis.register_script(_PLACE_HOLD) if redis is not None else None

    @contextmanager
    def provider_lock(self, provider_id: int) -> Iterator[bool]:
        """Serialise bookings for one provider across processes; yields whether the lock is held."""
        lock = None
        if self.redis is not None:
            lock = self.redis.lock(f"slotline:lock:provider:{provider_id}",
                                   timeout=self.lock_timeout, blocking_timeout=self.lock_wait)
            try:
                if not lock.acquire():
                    log.warning("provider %s lock busy; relying on the database", provider_id)
                    lock = None
            except RedisError as exc:
                log.warning("Redis unavailable for provider lock (%s); relying on the database", exc)
                lock = None
        try:
            yield lock is not None
        finally:
            if lock is not None:
                try:
                    lock.release()
                except (LockError, RedisError) as exc:
                    log.warning("provider %s lock release failed: %s", provider_id, exc)

    def place_hold(self, provider_id: int, start: datetime, end: datetime, client_id: int,
                   ttl: timedelta, now: datetime) -> Hold | None | bool:
        """Hold [start, end) for the client. False: another client holds it; None: Redis is down."""
        if self.redis is None:
            return None
        expires = now + ttl
        try:
            ok = self._place(keys=[self._key(provider_id)], args=[
                _ts(now), _ts(start), _ts(end), str(client_id), _ts(expires), int(ttl.total_seconds()) + 1])
        except RedisError as exc:
            log.warning("Redis unavailable for holds (%s)", exc)
            return None
        return Hold(provider_id, start, end, client_id, expires) if ok else False

    def held_by_others(self, provider_id: int, client_id: int | None, now: datetime) -> list[tuple[datetime, datetime]]:
        """Intervals other clients hold for this provider right now."""
        if self.redis is None:
            return []
        try:
            members = self.redis.zrangebyscore(self._key(provider_id), _ts(now) + 1, "+inf")
        except RedisError:
            return []
        held = []
        for member in members:
            start, end, holder = member.decode().split(":", 2)
            if client_id is None or holder != str(client_id):
                held.append((_dt(start), _dt(end)))
        return held

    def release_hold(self, provider_id: int, client_id: int) -> None:
        """Forget this client's hold for the provider (after booking, or when they walk away)."""
        if self.redis is None:
            return
        try:
            key = self._key(provider_id)
            for member in self.redis.zrange(key, 0, -1):
                if member.decode().rsplit(":", 1)[-1] == str(client_id):
                    self.redis.zrem(key, member)
        except RedisError as exc:
            log.warning("Redis unavailable to release hold (%s)", exc)

    @staticmethod
    def _key(provider_id: int) -> str:
        return f"slotline:holds:{provider_id}"
