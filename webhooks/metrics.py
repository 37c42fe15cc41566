"""Prometheus metrics: one registry per app, so building many apps (tests) never re-registers a name.

HTTP requests are counted by this process; bookings are read from the database at each scrape,
so those made by the chat, Telegram, Slack, SMS or the worker in any process count too.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.booking.stats import StatsUnavailable, bookings_by_channel

log = logging.getLogger(__name__)
UNMATCHED = "<unmatched>"  # a path no route knows: one label, however many different paths are probed


class Metrics:
    """The app's counters and histograms, and the registry `/metrics` exposes."""

    def __init__(self, count_bookings: Callable[[], dict[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("slotline_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("slotline_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["method", "route", "status"], registry=self.registry)
        if count_bookings is not None:
            self.registry.register(BookingsCollector(count_bookings))
        self._templates: list[tuple[re.Pattern, str]] | None = None

    def route_of(self, app: FastAPI, scope: Scope) -> str:
        """The template of the route that answered, like `/api/v1/appointments/{appointment_id}`.

        `scope["route"]` of a route in an included router carries only the router-relative
        path on newer FastAPI, so the full templates come from the app's own OpenAPI paths.
        """
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._templates is None:
            self._templates = [(compile_path(path)[0], path) for path in app.openapi().get("paths", {})]
        for regex, template in self._templates:
            if regex.match(scope["path"]):
                return template
        return getattr(route, "path", None) or UNMATCHED

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class BookingsCollector:
    """`slotline_bookings_total{channel=...}`: appointments booked on each channel, counted in the database.

    Every process reports the same totals, so across several web processes aggregate them
    with `max by (channel)`, not `sum`."""

    def __init__(self, count_bookings: Callable[[], dict[str, int]]) -> None:
        self.count_bookings = count_bookings  # bookings by channel, read at each scrape

    @staticmethod
    def _family() -> CounterMetricFamily:
        return CounterMetricFamily("slotline_bookings", "Appointments booked (idempotent replays not counted), "
                                   "by the channel they were booked on", labels=["channel"])

    def describe(self) -> Iterator[CounterMetricFamily]:
        yield self._family()  # the names only: registering must not query the database

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = self._family()
        try:
            counts = self.count_bookings()
        except StatsUnavailable:
            # The request metrics still go out; the missing series says the database was away.
            log.warning("could not count bookings for /metrics", exc_info=True)
            return
        for channel, count in sorted(counts.items()):
            family.add_metric([channel], count)
        yield family


class MetricsMiddleware:
    """Counts and times every HTTP request by route template (`/api/v1/appointments/{appointment_id}`)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            labels = (scope["method"], self.metrics.route_of(scope["app"], scope), str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)


def install(app: FastAPI) -> Metrics:
    container = getattr(app.state, "container", None)
    counter = partial(bookings_by_channel, container.session_factory) if container is not None else None
    metrics = Metrics(counter)
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def prometheus(request: Request) -> Response:
        return request.app.state.metrics.exposition()

    return metrics
