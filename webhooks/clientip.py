"""Who is asking: the one place that decides a request's client IP address.

`X-Forwarded-For` is believed only from the peers listed in SLOTLINE_TRUSTED_PROXIES (addresses
or CIDR networks; none by default), and then only as far back as the first hop that is not a
trusted proxy itself: a client can put anything at the front of the header, but cannot forge
what the trusted proxy appended. That is uvicorn's `ProxyHeadersMiddleware`, installed in the
app here rather than left to the server, so the rule is the same under any ASGI server and in
the tests. `slotline run` / `slotline web` switch uvicorn's own proxy handling off (by default
it believes any `X-Forwarded-For` sent from 127.0.0.1, so anyone on the host could pick an IP).

Use `client_ip(request)` (or the `ClientIP` dependency) wherever a per-client bound is kept:
rate limits, holds per visitor.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

UNKNOWN = "unknown"  # no peer address at all (a unix socket without one): one shared bucket


def install(app: FastAPI, trusted_proxies: list[str]) -> None:
    """Rewrite each request's client (and scheme) from the proxy headers of trusted peers only."""
    if trusted_proxies:  # with none trusted the middleware would never act: leave it out
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)


def client_ip(request: Request) -> str:
    """The client's IP address as far as it can be trusted (see the module docstring)."""
    client = request.client
    return client.host if client and client.host else UNKNOWN


ClientIP = Annotated[str, Depends(client_ip)]
