"""agenda keys, people of events and sessions, pending roles

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Re-importing an agenda updates the event and sessions with the same key; sessions name their
chair, co-hosts, speakers and rapporteurs; rapporteurs named by @username before the bot has met
them wait in pending_roles.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.create_unique_constraint(batch_op.f("uq_events_key"), ["key"])
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("chair", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("co_hosts", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("speakers", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("rapporteurs", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_unique_constraint(batch_op.f("uq_sessions_event_id_key"), ["event_id", "key"])
    op.create_table(
        "pending_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("organiser", "rapporteur", "moderator", "participant", name="rolename", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_pending_roles_event_id_events"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_pending_roles_session_id_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_roles")),
        sa.UniqueConstraint("username", "role", "event_id", "session_id", name=op.f("uq_pending_roles_username")),
    )
    with op.batch_alter_table("pending_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_roles_username"), ["username"], unique=False)


def downgrade() -> None:
    op.drop_table("pending_roles")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sessions_event_id_key"), type_="unique")
        for column in ("rapporteurs", "speakers", "co_hosts", "chair", "key"):
            batch_op.drop_column(column)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_key"), type_="unique")
        batch_op.drop_column("details")
        batch_op.drop_column("key")
