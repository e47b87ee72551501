"""privacy: erased participants and each event's retention period

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

An erased participant keeps a row (for the contributions they chose to leave) without a Telegram
id, so telegram_user_id (and the Telegram ids its contributions came from) become nullable; events say how many days after their end their
participants' personal data is erased.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=False, server_default="180"))
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.alter_column("tg_chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("tg_message_id", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM contributions WHERE tg_chat_id IS NULL"))
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.alter_column("tg_chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("tg_message_id", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("retention_days")
    op.execute(sa.text("DELETE FROM participants WHERE telegram_user_id IS NULL"))
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=False)
