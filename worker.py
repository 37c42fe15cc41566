"""The RQ worker entry (`slotline worker`): runs queued jobs with RQ's scheduler on.

Jobs themselves live in `core.notifications`; this module only wires a worker to Redis.
"""
from __future__ import annotations

import logging

from rq import Queue, Worker

from config.settings import Settings, get_settings
from slotline.bootstrap import connect_redis

QUEUES = ("slotline",)


def queues(connection) -> list[Queue]:
    return [Queue(name, connection=connection) for name in QUEUES]


def main(settings: Settings | None = None, *, burst: bool = False) -> bool:
    """Run a worker until stopped (or, with `burst`, until the queues are empty)."""
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    connection = connect_redis(settings)
    worker = Worker(queues(connection), connection=connection)
    return worker.work(burst=burst, with_scheduler=True)


if __name__ == "__main__":
    main()
