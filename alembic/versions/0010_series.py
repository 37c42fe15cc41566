"""Recurring series: appointment_series and appointments.series_id.

Each occurrence of "every Tuesday at 10 for 6 weeks" is an appointment of its own, pointing at
the series it was booked in; the series keeps the rule asked for and what could not be booked.

On SQLite the column is added with a plain `ALTER TABLE ... ADD COLUMN ... REFERENCES`, not in
batch mode: batch mode would copy the table to add the foreign key, and the copy would lose the
triggers that refuse overlapping appointments (0001). Dropping it has to copy the table, so the
downgrade puts the triggers back.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "appointment_series"
FK = "appointments_series_id_fkey"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("recurrence", sa.String(500), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["users.id"], name=f"{TABLE}_client_id_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=f"{TABLE}_service_id_fkey"),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], name=f"{TABLE}_provider_id_fkey"),
        sa.UniqueConstraint("idempotency_key", name=f"{TABLE}_idempotency_key_key"),
    )
    op.create_index(f"ix_{TABLE}_client_id", TABLE, ["client_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE appointments ADD COLUMN series_id INTEGER "
                   f"CONSTRAINT {FK} REFERENCES {TABLE} (id)")
    else:
        op.add_column("appointments", sa.Column("series_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "appointments", TABLE, ["series_id"], ["id"])
    op.create_index("ix_appointments_series_id", "appointments", ["series_id"])


def downgrade() -> None:
    op.drop_index("ix_appointments_series_id", table_name="appointments")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite drops a column under a foreign key only by copying the table: keep its triggers.
        triggers = [sql for (sql,) in bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'appointments'")]
        with op.batch_alter_table("appointments", recreate="always") as table:
            table.drop_column("series_id")
        for sql in triggers:
            op.execute(sql)
    else:
        op.drop_constraint(FK, "appointments", type_="foreignkey")
        op.drop_column("appointments", "series_id")
    op.drop_table(TABLE)
