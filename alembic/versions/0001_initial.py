"""Initial schema: every table of core/db/models.py, plus the overlap guards.

Constraint names are the ones PostgreSQL would pick itself (`<table>_<col>_key`,
`<table>_<col>_fkey`), written out so SQLite knows them too and later batch
migrations can address them.

The overlap guards are the database's last word against double booking:
- PostgreSQL: `EXCLUDE USING gist` over (provider or resource, [block_start, block_end)).
- SQLite: BEFORE INSERT/UPDATE triggers doing the same check. UTCDateTime stores naive
  UTC text of fixed width there, so text comparison orders like time.

Revision ID: 0001
Revises:
Create Date: 2024-06-01 00:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], name=f"{table}_{column}_fkey", ondelete=ondelete)


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=f"{table}_{'_'.join(columns)}_key")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def upgrade() -> None:
    _create_people_and_catalogue()
    _create_schedules()
    _create_bookings()
    _create_messages_and_audit()
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _postgres_overlap_guards()
    elif dialect == "sqlite":
        _sqlite_overlap_guards()


def _create_people_and_catalogue() -> None:
    op.create_table(
        "business", _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("slot_interval_minutes", sa.Integer(), nullable=False),
        sa.Column("cancellation_window_hours", sa.Integer(), nullable=False),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("confirm_sms_cancel", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "users", _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("preferred_channel", sa.String(16), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _unique("users", "email"),
        _unique("users", "phone"),
    )
    op.create_table(
        "channel_identities", _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        _fk("channel_identities", "user_id", "users.id", ondelete="CASCADE"),
        _unique("channel_identities", "channel", "external_id"),
    )
    op.create_index("ix_channel_identities_user_id", "channel_identities", ["user_id"])
    op.create_table(
        "resources", _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _unique("resources", "name"),
    )
    op.create_table(
        "services", _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=True),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _unique("services", "name"),
    )
    op.create_table(
        "providers", _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("slack_user_id", sa.String(32), nullable=True),
        sa.Column("daily_limit", sa.Integer(), nullable=True),
        sa.Column("agenda_time", sa.Time(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("schedule_version", sa.Integer(), nullable=False),
        _fk("providers", "user_id", "users.id", ondelete="SET NULL"),
        _unique("providers", "name"),
        _unique("providers", "slack_user_id"),
    )
    for table, left, right in (
        ("provider_services", "provider", "service"),
        ("service_resources", "service", "resource"),
    ):
        op.create_table(
            table,
            sa.Column(f"{left}_id", sa.Integer(), primary_key=True),
            sa.Column(f"{right}_id", sa.Integer(), primary_key=True),
            _fk(table, f"{left}_id", f"{left}s.id", ondelete="CASCADE"),
            _fk(table, f"{right}_id", f"{right}s.id", ondelete="CASCADE"),
        )


def _create_schedules() -> None:
    for table, day_nullable in (("weekly_hours", False), ("breaks", True)):
        op.create_table(
            table, _id(),
            sa.Column("provider_id", sa.Integer(), nullable=False),
            sa.Column("day_of_week", sa.Integer(), nullable=day_nullable),
            sa.Column("start_time", sa.Time(), nullable=False),
            sa.Column("end_time", sa.Time(), nullable=False),
            _fk(table, "provider_id", "providers.id", ondelete="CASCADE"),
        )
        op.create_index(f"ix_{table}_provider_id", table, ["provider_id"])
    op.create_table(
        "date_overrides", _id(),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        _fk("date_overrides", "provider_id", "providers.id", ondelete="CASCADE"),
    )
    op.create_index("ix_date_overrides_provider_id", "date_overrides", ["provider_id"])
    op.create_table(
        "time_off", _id(),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        _fk("time_off", "provider_id", "providers.id", ondelete="CASCADE"),
    )
    op.create_index("ix_time_off_provider_start", "time_off", ["provider_id", "start_at"])


def _create_bookings() -> None:
    op.create_table(
        "appointments", _id(),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("block_start", UTCDateTime(), nullable=False),
        sa.Column("block_end", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("confirmation_code", sa.String(12), nullable=False),
        sa.Column("cancellation_reason", sa.String(500), nullable=True),
        sa.Column("late_cancellation", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _fk("appointments", "service_id", "services.id"),
        _fk("appointments", "provider_id", "providers.id"),
        _fk("appointments", "client_id", "users.id"),
        _unique("appointments", "idempotency_key"),
        _unique("appointments", "confirmation_code"),
    )
    op.create_index("ix_appointments_provider_block", "appointments", ["provider_id", "block_start"])
    op.create_index("ix_appointments_client_start", "appointments", ["client_id", "start_at"])
    op.create_table(
        "appointment_resources", _id(),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("block_start", UTCDateTime(), nullable=False),
        sa.Column("block_end", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _fk("appointment_resources", "appointment_id", "appointments.id", ondelete="CASCADE"),
        _fk("appointment_resources", "resource_id", "resources.id"),
    )
    op.create_index("ix_appointment_resources_appointment_id", "appointment_resources", ["appointment_id"])
    op.create_index(
        "ix_appointment_resources_resource_block", "appointment_resources", ["resource_id", "block_start"]
    )


def _create_messages_and_audit() -> None:
    op.create_table(
        "notifications", _id(),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _fk("notifications", "appointment_id", "appointments.id", ondelete="SET NULL"),
        _fk("notifications", "user_id", "users.id", ondelete="SET NULL"),
        _unique("notifications", "dedupe_key"),
    )
    op.create_index("ix_notifications_appointment_id", "notifications", ["appointment_id"])
    op.create_index("ix_notifications_external_id", "notifications", ["external_id"])
    op.create_table(
        "audit_log", _id(),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
    )


# (table, owner column, "holds its time" condition on a row alias, columns an UPDATE guard watches)
_GUARDS = (
    ("appointments", "provider_id", "{row}.status <> 'cancelled'", "provider_id, block_start, block_end, status"),
    ("appointment_resources", "resource_id", "{row}.active", "resource_id, block_start, block_end, active"),
)


def _postgres_overlap_guards() -> None:
    # btree_gist lets a gist index compare plain integers with `=`; it is a trusted extension.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table, owner, holds, _watched in _GUARDS:
        where = holds.replace("{row}.", "")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_no_overlap EXCLUDE USING gist "
            f"({owner} WITH =, tstzrange(block_start, block_end, '[)') WITH &&) WHERE ({where})"
        )


def _sqlite_overlap_guards() -> None:
    for table, owner, holds, watched in _GUARDS:
        for event, not_self in (("INSERT", ""), (f"UPDATE OF {watched}", "AND other.id <> OLD.id")):
            name = f"{table}_no_overlap_{event.split()[0].lower()}"
            # An empty block overlaps nothing, as an empty tstzrange on PostgreSQL.
            op.execute(
                f"""
                CREATE TRIGGER {name} BEFORE {event} ON {table}
                FOR EACH ROW WHEN {holds.format(row="NEW")} AND NEW.block_start < NEW.block_end
                BEGIN
                    SELECT RAISE(ABORT, 'slot_taken: {table}_no_overlap')
                    WHERE EXISTS (
                        SELECT 1 FROM {table} AS other
                        WHERE other.{owner} = NEW.{owner} AND {holds.format(row="other")} {not_self}
                          AND other.block_start < NEW.block_end AND NEW.block_start < other.block_end
                    );
                END
                """
            )


def downgrade() -> None:
    # Triggers and exclusion constraints go with their tables. btree_gist stays: other
    # schemas in the same database may use it.
    for table in (
        "audit_log", "notifications", "appointment_resources", "appointments", "time_off",
        "date_overrides", "breaks", "weekly_hours", "service_resources", "provider_services",
        "providers", "services", "resources", "channel_identities", "users", "business",
    ):
        op.drop_table(table)
