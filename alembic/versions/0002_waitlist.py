"""Waiting list: clients waiting for a time to open up.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "waitlist_entries"


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], name=f"{TABLE}_{column}_fkey", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("client_id", "users.id"),
        _fk("service_id", "services.id"),
        _fk("provider_id", "providers.id"),
    )
    op.create_index("ix_waitlist_entries_client_id", TABLE, ["client_id"])
    op.create_index("ix_waitlist_service_window", TABLE, ["service_id", "window_start"])


def downgrade() -> None:
    op.drop_table(TABLE)
