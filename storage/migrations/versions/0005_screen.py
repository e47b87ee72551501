"""room screen: read-only screen tokens and statements hidden from the screen

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screen_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["participants.id"], name=op.f("fk_screen_tokens_created_by_participants"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_screen_tokens_session_id_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screen_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_screen_tokens_token_hash")),
    )
    with op.batch_alter_table("screen_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screen_tokens_session_id"), ["session_id"], unique=False)

    op.create_table(
        "screen_hides",
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("hidden_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"], ["contributions.id"], name=op.f("fk_screen_hides_contribution_id_contributions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by"], ["participants.id"], name=op.f("fk_screen_hides_hidden_by_participants"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_screen_hides_session_id_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contribution_id", name=op.f("pk_screen_hides")),
    )
    with op.batch_alter_table("screen_hides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screen_hides_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screen_hides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screen_hides_session_id"))
    op.drop_table("screen_hides")
    with op.batch_alter_table("screen_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screen_tokens_session_id"))
    op.drop_table("screen_tokens")
