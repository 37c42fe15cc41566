"""Booking policies a business sets against abuse: future bookings per client, verified web contacts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 07:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("business") as table:
        table.add_column(sa.Column("max_future_bookings", sa.Integer(), nullable=True))
        table.add_column(sa.Column("verify_web_contact", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("business") as table:
        table.drop_column("verify_web_contact")
        table.drop_column("max_future_bookings")
