"""People booked for by another client: `users.booker_id`.

"Two haircuts, for me and my son" books the son an appointment of his own, under his own name:
a client row with no chat, phone or email of its own, whose confirmations and reminders go to
the client who booked for him.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("booker_id", sa.Integer(), nullable=True))
        table.create_foreign_key("fk_users_booker_id_users", "users", ["booker_id"], ["id"], ondelete="SET NULL")
        table.create_index("ix_users_booker_id", ["booker_id"])


def downgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.drop_index("ix_users_booker_id")
        table.drop_constraint("fk_users_booker_id_users", type_="foreignkey")
        table.drop_column("booker_id")
