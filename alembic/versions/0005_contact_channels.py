"""Who hears on what: the channel each person last talked on, apart from the one they prefer.

Until now `users.preferred_channel` was only ever the first channel a client wrote from, set
for them, never chosen. It moves to `last_channel`, so that a preference is only one the
client or the business sets (over REST as `preferredChannel`, or "text me instead" in a chat).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 00:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("last_channel", sa.String(16), nullable=True))
    op.execute("UPDATE users SET last_channel = preferred_channel, preferred_channel = NULL")


def downgrade() -> None:
    op.execute("UPDATE users SET preferred_channel = COALESCE(preferred_channel, last_channel)")
    with op.batch_alter_table("users") as table:
        table.drop_column("last_channel")
