"""`slotline web --workers N`: N uvicorn processes serving one port on one PostgreSQL and Redis.

uvicorn's own supervisor binds the socket, starts each process as a new interpreter that imports
`app` by name and calls it, starts again a process that dies, and on SIGINT or SIGTERM stops
them all and waits for them before `serve` returns. Each process builds its own container (its
database pool, its Redis connections): nothing is shared but the servers.
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from config.settings import get_settings
from slotline.logs import configure_logging, redact, redact_handlers_of

APP = "slotline.web_processes:app"


def serve(host: str, port: int, workers: int) -> None:
    """Serve from `workers` processes until SIGINT/SIGTERM (the caller has migrated the database)."""
    import uvicorn

    # proxy_headers off, as in `slotline web`: the app applies SLOTLINE_TRUSTED_PROXIES itself
    # (webhooks/clientip.py), and uvicorn's default would believe any X-Forwarded-For from 127.0.0.1.
    uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level="info", proxy_headers=False)


def check() -> None:
    """Build one process's app here and let it go: settings that would stop every process from starting
    stop `slotline web` now, with their error (uvicorn's parent would log it and end with exit code 0)."""
    _build(get_settings())[0].close()


def app():
    """One process's app. uvicorn calls this in each process after setting up its log handlers there,
    so they get the redaction here, as `slotline web`'s do."""
    settings = get_settings()
    configure_logging(settings)
    redact_handlers_of("uvicorn", "uvicorn.access")
    redact(settings.resolved_admin_token())  # generated, if it was, by `slotline web` before it started this
    container, web = _build(settings)
    serving = web.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_):
        async with serving(app_) as state:
            yield state
        container.close()  # after the last request, before uvicorn ends the process

    web.router.lifespan_context = lifespan
    return web


def _build(settings):
    from slotline.bootstrap import build
    from webhooks.app import create_app

    container = build(settings)
    return container, create_app(container)
