"""Calendar feeds: a secret, revocable iCalendar feed URL per provider or client.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "calendar_feeds"
STANDING = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("secret_hash", name=f"{TABLE}_secret_hash_key"),
    )
    # One standing feed per owner: two requests racing for a first feed cannot both make one.
    op.create_index("ix_calendar_feeds_standing_owner", TABLE, ["owner_kind", "owner_id"], unique=True,
                    postgresql_where=STANDING, sqlite_where=STANDING)


def downgrade() -> None:
    op.drop_table(TABLE)
