"""The one wall clock: aware UTC now.

It is the default of every injected `clock` (`slotline.bootstrap.build(clock=...)`); code that
decides anything takes the injected clock, so tests can set the time. The database's column
defaults use it too.
"""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)
