"""The transactional outbox of booking events, and the catalogue's version.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("relayed_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_events_done_relayed", "outbox_events", ["done_at", "relayed_at"])
    with op.batch_alter_table("business") as table:
        table.add_column(sa.Column("catalogue_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("business") as table:
        table.drop_column("catalogue_version")
    op.drop_table("outbox_events")
