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

from core.booking import errors
from core.clock import utcnow

log = logging.getLogger(__name__)

# A hold is a member "start:end:holder" of the provider's sorted set, scored by its expiry.
# Beside it, `slotline:holder:<holder>` says which provider (and origin) holds it, so that a
# holder has one hold at a time across all providers, and `slotline:origin:<origin>` counts the
# holders behind one origin (a client IP), capped. Lua, so each change is one atomic step.
_DROP_HOLDER = """
local function drop_holder(holder_key, holder, holds_prefix, origin_prefix)
  local info = redis.call('GET', holder_key)
  if not info then return end
  local provider, origin = string.match(info, '^([^|]*)|(.*)$')
  local key = holds_prefix .. provider
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if string.match(member, '^%d+:%d+:(.+)$') == holder then redis.call('ZREM', key, member) end
  end
  if origin ~= '' then redis.call('ZREM', origin_prefix .. origin, holder) end
  redis.call('DEL', holder_key)
end
"""

# Drop expired holds; refuse (0) if another holder has an overlapping interval, or (-1) if the
# origin already has `cap` other holders; else move this holder's one hold here.
# KEYS: provider holds, holder key, origin key. ARGV: now, start, end, holder, expiry, ttl,
# provider id, cap (0: none), origin ('' none), holds prefix, origin prefix.
_PLACE_HOLD = _DROP_HOLDER + """
local key, holder_key, origin_key = KEYS[1], KEYS[2], KEYS[3]
local now, start_ts, end_ts = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local holder, expiry, ttl = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local provider, cap, origin = ARGV[7], tonumber(ARGV[8]), ARGV[9]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
  local s, e, c = string.match(member, '^(%d+):(%d+):(.+)$')
  if c ~= holder and tonumber(s) < end_ts and start_ts < tonumber(e) then
    return 0
  end
end
if origin ~= '' and cap > 0 then
  redis.call('ZREMRANGEBYSCORE', origin_key, '-inf', now)
  if not redis.call('ZSCORE', origin_key, holder) and redis.call('ZCARD', origin_key) >= cap then
    return -1
  end
end
drop_holder(holder_key, holder, ARGV[10], ARGV[11])
for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
  if string.match(member, '^%d+:%d+:(.+)$') == holder then redis.call('ZREM', key, member) end
end
redis.call('ZADD', key, expiry, start_ts .. ':' .. end_ts .. ':' .. holder)
redis.call('EXPIRE', key, ttl)
redis.call('SET', holder_key, provider .. '|' .. origin, 'EX', ttl)
if origin ~= '' then
  redis.call('ZADD', origin_key, expiry, holder)
  redis.call('EXPIRE', origin_key, ttl)
end
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
# drop ARGV[2]'s hold when a booking has just been made with it.
# KEYS: lock, holder key. ARGV: token, holder ('' none), holds prefix, origin prefix.
_UNLOCK = _DROP_HOLDER + """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
if ARGV[2] ~= '' then
  drop_holder(KEYS[2], ARGV[2], ARGV[3], ARGV[4])
end
return 1
"""
# KEYS: holder key. ARGV: holder, holds prefix, origin prefix.
_RELEASE = _DROP_HOLDER + """
drop_holder(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1
"""
# The holds on many providers not expired by ARGV[1], in one command: {index of its key, members, ...}
# for the keys that hold any.
_HELD_ON = """
local found = {}
for i, key in ipairs(KEYS) do
  local members = redis.call('ZRANGEBYSCORE', key, ARGV[1], '+inf')
  if #members > 0 then
    found[#found + 1] = i
    found[#found + 1] = members
  end
end
return found
"""
HOLDS_PREFIX, HOLDER_PREFIX, ORIGIN_PREFIX = "slotline:holds:", "slotline:holder:", "slotline:origin:"
LOCK_RETRY_SECONDS = 0.005  # seconds between tries for a busy lock: it is held for milliseconds


@dataclass(frozen=True)
class Hold:
    provider_id: int
    start: datetime
    end: datetime
    holder: str
    expires_at: datetime


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def _dt(ts: str | int) -> datetime:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc)


def _others(members: list[str], holder: str | None) -> list[tuple[datetime, datetime]]:
    """The held intervals among "start:end:holder" members, but for the given holder's own."""
    held = []
    for member in members:
        start, end, who = member.split(":", 2)
        if holder is None or who != holder:
            held.append((_dt(start), _dt(end)))
    return held


class ProviderLock:
    """A provider lock as taken by `Coordination.provider_lock`.

    `held` is False when Redis was away or the lock stayed busy: the database guards alone
    then. Set `release_hold_of` to a holder whose hold should go when the lock is given back
    (after their booking is committed): one round trip does both."""

    def __init__(self, provider_id: int):
        self.provider_id = provider_id
        self.key = f"slotline:lock:provider:{provider_id}"
        self.token = secrets.token_hex(16)
        self.held = False
        self.holds: list[str] = []
        self.release_hold_of: str | None = None

    def holds_against(self, holder: str | None) -> list[tuple[datetime, datetime]] | None:
        """Other holders' holds read with the lock, or None when it was not held (read them afresh)."""
        return _others(self.holds, holder) if self.held else None


class Coordination:
    """Provider locks and slot holds on one Redis (or on nothing, when `redis` is None).

    A holder (a client, or a conversation not yet tied to one) has at most one hold at a
    time; holders behind one origin (a web visitor's IP) have at most `origin_cap` at once."""

    def __init__(self, redis: Redis | None, *, lock_timeout: float = 10.0, lock_wait: float = 5.0,
                 origin_cap: int = 3):
        self.redis = redis
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self.origin_cap = origin_cap
        scripts = {name: redis.register_script(text) if redis is not None else None
                   for name, text in (("place", _PLACE_HOLD), ("lock", _LOCK), ("unlock", _UNLOCK),
                                      ("release", _RELEASE), ("held", _HELD_ON))}
        self._place, self._lock, self._unlock, self._release, self._held_on = (
            scripts[n] for n in ("place", "lock", "unlock", "release", "held"))

    @contextmanager
    def provider_lock(self, provider_id: int, now: datetime | None = None) -> Iterator[ProviderLock]:
        """Serialise bookings for one provider across processes; yields a `ProviderLock`.

        When it is held, it also carries the provider's holds that had not expired at `now`."""
        lock = ProviderLock(provider_id)
        if self.redis is not None:
            try:
                self._acquire(lock, now or utcnow())
            except RedisError as exc:
                log.warning("Redis unavailable for provider lock (%s); relying on the database", exc)
        try:
            yield lock
        finally:
            self._give_back(lock)

    def _give_back(self, lock: ProviderLock) -> None:
        if not lock.held:
            if lock.release_hold_of is not None:
                self.release_hold(lock.release_hold_of)
            return
        holder = lock.release_hold_of or ""
        try:
            self._unlock(keys=[lock.key, HOLDER_PREFIX + holder],
                         args=[lock.token, holder, HOLDS_PREFIX, ORIGIN_PREFIX])
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

    def place_hold(self, provider_id: int, start: datetime, end: datetime, holder: str, ttl: timedelta,
                   now: datetime, *, origin: str | None = None) -> Hold | None:
        """Hold [start, end) for `holder`, dropping any hold it had before; None when Redis is down.

        Raises `SlotHeld` when another holder has an overlapping hold, `TooManyHolds` when
        `origin` already has `origin_cap` holders."""
        if self.redis is None:
            return None
        expires = now + ttl
        try:
            result = self._place(keys=[self._key(provider_id), HOLDER_PREFIX + holder, ORIGIN_PREFIX + (origin or "")],
                                 args=[_ts(now), _ts(start), _ts(end), holder, _ts(expires),
                                       int(ttl.total_seconds()) + 1, provider_id, self.origin_cap, origin or "",
                                       HOLDS_PREFIX, ORIGIN_PREFIX])
        except RedisError as exc:
            log.warning("Redis unavailable for holds (%s)", exc)
            return None
        if result == 0:
            raise errors.SlotHeld("someone else is confirming that time right now")
        if result == -1:
            raise errors.TooManyHolds("too many times are being held from this connection at once; "
                                      "please finish or let go of one first")
        return Hold(provider_id, start, end, holder, expires)

    def held_by_others(self, provider_id: int, holder: str | None, now: datetime) -> list[tuple[datetime, datetime]]:
        """Intervals other holders hold for this provider right now."""
        if self.redis is None:
            return []
        try:
            members = self.redis.zrangebyscore(self._key(provider_id), _ts(now) + 1, "+inf")
        except RedisError:
            return []
        return _others([member.decode() for member in members], holder)

    def held_by_others_of(self, provider_ids: list[int], holder: str | None,
                          now: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
        """`held_by_others` for many providers in one round trip: those with holds, by id."""
        if self.redis is None or not provider_ids:
            return {}
        try:
            found = self._held_on(keys=[self._key(pid) for pid in provider_ids], args=[_ts(now) + 1])
        except RedisError:
            return {}
        return {provider_ids[int(i) - 1]: _others([member.decode() for member in members], holder)
                for i, members in zip(found[::2], found[1::2])}

    def release_hold(self, holder: str) -> None:
        """Forget this holder's hold, wherever it is (after booking, or when they walk away)."""
        if self.redis is None:
            return
        try:
            self._release(keys=[HOLDER_PREFIX + holder], args=[holder, HOLDS_PREFIX, ORIGIN_PREFIX])
        except RedisError as exc:
            log.warning("Redis unavailable to release hold (%s)", exc)

    @staticmethod
    def _key(provider_id: int) -> str:
        return f"{HOLDS_PREFIX}{provider_id}"
