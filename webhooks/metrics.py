"""Prometheus metrics: one registry per app, so building many apps (tests) never re-registers a name."""
from __future__ import annotations

import re
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "<unmatched>"  # a path no route knows: one label, however many different paths are probed


class Metrics:
    """The app's counters and histograms, and the registry `/metrics` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("slotline_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("slotline_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["method", "route", "status"], registry=self.registry)
        self.bookings = Counter("slotline_bookings", "Appointments booked (idempotent replays not counted)",
                                ["channel"], registry=self.registry)
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
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def prometheus(request: Request) -> Response:
        return request.app.state.metrics.exposition()

    return metrics
