"""Notifications: when each is due, what it carries, a log of attempts; SMS quiet hours.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.add_column(sa.Column("version", sa.Integer(), nullable=True))
        table.add_column(sa.Column("due_at", UTCDateTime(), nullable=True))
        table.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        table.add_column(sa.Column("log", sa.JSON(), nullable=True))
    op.create_index("ix_notifications_status_due", "notifications", ["status", "due_at"])
    with op.batch_alter_table("business") as table:
        table.add_column(sa.Column("sms_quiet_start", sa.Time(), nullable=True, server_default="21:00:00"))
        table.add_column(sa.Column("sms_quiet_end", sa.Time(), nullable=True, server_default="08:00:00"))


def downgrade() -> None:
    with op.batch_alter_table("business") as table:
        table.drop_column("sms_quiet_end")
        table.drop_column("sms_quiet_start")
    op.drop_index("ix_notifications_status_due", table_name="notifications")
    with op.batch_alter_table("notifications") as table:
        for column in ("log", "payload", "due_at", "version"):
            table.drop_column(column)
