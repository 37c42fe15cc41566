"""Booking policies: approval-needed services, no-show rule, approval expiry.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("business") as table:
        table.add_column(sa.Column("no_show_limit", sa.Integer(), nullable=True))
        table.add_column(sa.Column("approval_expiry_hours", sa.Integer(), nullable=False, server_default="24"))
        table.add_column(sa.Column("contact", sa.String(200), nullable=True))
    with op.batch_alter_table("services") as table:
        table.add_column(sa.Column("needs_approval", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("appointments") as table:
        table.add_column(sa.Column("request_expires_at", UTCDateTime(), nullable=True))
        table.create_index("ix_appointments_request_expires_at", ["request_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_appointments_request_expires_at", table_name="appointments")
    bind = op.get_bind()
    # SQLite drops a column only by copying the table, and the copy would lose the triggers that
    # refuse overlapping appointments (0001): keep them, as 0010's downgrade does.
    triggers = [sql for (sql,) in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'appointments'")] \
        if bind.dialect.name == "sqlite" else []
    with op.batch_alter_table("appointments") as table:
        table.drop_column("request_expires_at")
    for sql in triggers:
        op.execute(sql)
    with op.batch_alter_table("services") as table:
        table.drop_column("needs_approval")
    with op.batch_alter_table("business") as table:
        table.drop_column("contact")
        table.drop_column("approval_expiry_hours")
        table.drop_column("no_show_limit")
