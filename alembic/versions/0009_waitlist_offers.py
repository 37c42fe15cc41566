"""Waiting-list offers: a freed time held for one waiting client at a time (backfill).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TABLE = "waitlist_offers"
OPEN = sa.text("status = 'open'")


def _fk(column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], name=f"{TABLE}_{column}_fkey", ondelete=ondelete)


def upgrade() -> None:
    with op.batch_alter_table("business") as table:
        table.add_column(sa.Column("waitlist_offer_minutes", sa.Integer(), nullable=False, server_default="15"))
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("block_start", UTCDateTime(), nullable=False),
        sa.Column("block_end", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        _fk("entry_id", "waitlist_entries.id"),
        _fk("client_id", "users.id"),
        _fk("service_id", "services.id"),
        _fk("provider_id", "providers.id"),
        _fk("appointment_id", "appointments.id", "SET NULL"),
    )
    op.create_index("ix_waitlist_offers_client_id", TABLE, ["client_id"])
    op.create_index("ix_waitlist_offers_status_expires", TABLE, ["status", "expires_at"])
    # No two clients are offered one start with one provider at once, nor one entry two times.
    op.create_index("ix_waitlist_offers_open_slot", TABLE, ["provider_id", "start_at"], unique=True,
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_waitlist_offers_open_entry", TABLE, ["entry_id"], unique=True,
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_table(TABLE)
    with op.batch_alter_table("business") as table:
        table.drop_column("waitlist_offer_minutes")
