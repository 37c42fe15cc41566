"""Redis-side coordination: a lock per provider and short holds on offered slots.

Neither is ever the only guard against double booking (the database is); both only make
contention cheaper and keep a slot for the client who is confirming it. When Redis cannot
be reached they step aside and the booking goes on, guarded by the database alone.
"""
from __future__ import annotations

import logging
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from redis import Redis
from redis.exceptions import RedisError

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

# Take a provider's lock if it is free and, in the same round trip, read the holds on that
# provider that have not expired by ARGV[3]: a booking needs both, one right after the other.
_LOCK = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[3], '+inf')}
end
return {0, {}}
"""
# Give the lock back if it is still ours (it may have timed out and gone to another), and
# drop ARGV[2]'s hold on the provider when a booking has just been made with it.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
if ARGV[2] ~= '' then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if string.match(member, ':([^:]+)$') == ARGV[2] then
      redis.call('ZREM', KEYS[2], member)
    end
  end
end
return 1
"""
LOCK_RETRY_SECONDS = 0.005  # seconds between tries for a busy lock: it is held for milliseconds


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


def _others(members: list[str], client_id: int | None) -> list[tuple[datetime, datetime]]:
    """The held intervals among "start:end:client" members, but for the given client's own."""
    held = []
    for member in members:
        start, end, holder = member.split(":", 2)
        if client_id is None or holder != str(client_id):
            held.append((_dt(start), _dt(end)))
    return held


class ProviderLock:
    """A provider lock as taken by `Coordination.provider_lock`.

    `held` is False when Redis was away or the lock stayed busy: the database guards alone
    then. Set `release_hold_of` to a client whose hold should go when the lock is given back
    (after their booking is committed): one round trip does both."""

    def __init__(self, provider_id: int):
        self.provider_id = provider_id
        self.key = f"slotline:lock:provider:{provider_id}"
        self.token = secrets.token_hex(16)
        self.held = False
        self.holds: list[str] = []
        self.release_hold_of: int | None = None

    def holds_against(self, client_id: int | None) -> list[tuple[datetime, datetime]] | None:
        """Other clients' holds read with the lock, or None when it was not held (read them afresh)."""
        return _others(self.holds, client_id) if self.held else None


class Coordination:
    """Provider locks and slot holds on one Redis (or on nothing, when `redis` is None)."""

    def __init__(self, redis: Redis | None, *, lock_timeout: float = 10.0, lock_wait: float = 5.0):
        self.redis = redis
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self._place = redis.register_script(_PLACE_HOLD) if redis is not None else None
        self._lock = redis.register_script(_LOCK) if redis is not None else None
        self._unlock = redis.register_script(_UNLOCK) if redis is not None else None

    @contextmanager
    def provider_lock(self, provider_id: int, now: datetime | None = None) -> Iterator[ProviderLock]:
        """Serialise bookings for one provider across processes; yields a `ProviderLock`.

        When it is held, it also carries the provider's holds that had not expired at `now`."""
        lock = ProviderLock(provider_id)
        if self.redis is not None:
            try:
                self._acquire(lock, now or datetime.now(timezone.utc))
            except RedisError as exc:
                log.warning("Redis unavailable for provider lock (%s); relying on the database", exc)
        try:
            yield lock
        finally:
            self._give_back(lock)

    def _give_back(self, lock: ProviderLock) -> None:
        if not lock.held:
            if lock.release_hold_of is not None:
                self.release_hold(lock.provider_id, lock.release_hold_of)
            return
        client = "" if lock.release_hold_of is None else str(lock.release_hold_of)
        try:
            self._unlock(keys=[lock.key, self._key(lock.provider_id)], args=[lock.token, client])
        except RedisError as exc:
            log.warning("provider %s lock release failed: %s", lock.provider_id, exc)

    def _acquire(self, lock: ProviderLock, now: datetime) -> None:
        give_up_at = time.monotonic() + self.lock_wait
        args = [lock.token, int(self.lock_timeout * 1000), _ts(now) + 1]
        while True:
            held, holds = self._lock(keys=[lock.key, self._key(lock.provider_id)], args=args)
            if held:
                lock.held, lock.holds = True, [member.decode() for member in holds]
                return
            if time.monotonic() + LOCK_RETRY_SECONDS > give_up_at:
                log.warning("provider %s lock busy; relying on the database", lock.provider_id)
                return
            time.sleep(LOCK_RETRY_SECONDS)

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
        return _others([member.decode() for member in members], client_id)

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
