"""scheduling

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("file_unique_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_documents_event_id_events"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_documents_session_id_sessions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["participants.id"], name=op.f("fk_documents_uploaded_by_participants"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_event_id"), ["event_id"], unique=False)

    op.create_table(
        "scheduled_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("reminder", "nudge", "rapporteur_nudge", "papers", "report", name="schedulekind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "audience", sa.Enum("everyone", "non_responders", "rapporteurs", name="audience", native_enum=False, length=20), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("when_spec", sa.JSON(), nullable=False),
        sa.Column("next_fire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status", sa.Enum("active", "done", "cancelled", "missed", name="itemstatus", native_enum=False, length=20), nullable=False
        ),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["participants.id"], name=op.f("fk_scheduled_items_created_by_participants"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_scheduled_items_event_id_events"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_scheduled_items_session_id_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_items")),
    )
    with op.batch_alter_table("scheduled_items", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_items_due", ["status", "next_fire_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduled_items_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduled_items_session_id"), ["session_id"], unique=False)

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheduled_item_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("summary_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["scheduled_item_id"], ["scheduled_items.id"], name=op.f("fk_deliveries_scheduled_item_id_scheduled_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("scheduled_item_id", "occurrence_at", name=op.f("uq_deliveries_scheduled_item_id_occurrence_at")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_scheduled_item_id"), ["scheduled_item_id"], unique=False)

    op.create_table(
        "delivery_recipients",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "started", "sent", "blocked", "failed", "unconfirmed", name="recipientstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_delivery_recipients_delivery_id_deliveries"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_delivery_recipients_participant_id_participants"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("delivery_id", "chat_id", name=op.f("pk_delivery_recipients")),
    )
    with op.batch_alter_table("delivery_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_recipients_status", ["delivery_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_recipients_status")

    op.drop_table("delivery_recipients")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_scheduled_item_id"))

    op.drop_table("deliveries")
    with op.batch_alter_table("scheduled_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_items_session_id"))
        batch_op.drop_index(batch_op.f("ix_scheduled_items_event_id"))
        batch_op.drop_index("ix_scheduled_items_due")

    op.drop_table("scheduled_items")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_event_id"))

    op.drop_table("documents")
