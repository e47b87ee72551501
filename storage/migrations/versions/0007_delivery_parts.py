"""delivery parts: one record per message of a delivery to a recipient, and the summary claim

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Recipients left "started" by the old engine were in doubt as a whole (their parts were not
tracked), so they become "unconfirmed", which is what the old engine made of them on resume.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_parts",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "sending", "sent", "blocked", "failed", "unconfirmed", name="partstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_delivery_parts_delivery_id_deliveries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("delivery_id", "chat_id", "part", name=op.f("pk_delivery_parts")),
    )
    with op.batch_alter_table("delivery_parts", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_parts_state", ["delivery_id", "state"], unique=False)

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_claimed_at", sa.DateTime(timezone=True), nullable=True))

    op.execute(
        "UPDATE delivery_recipients SET status = 'unconfirmed', "
        "detail = 'interrupted during the send by a crash or restart; it may or may not have arrived' "
        "WHERE status = 'started'"
    )
    op.execute("UPDATE deliveries SET summary_claimed_at = summary_sent_at WHERE summary_sent_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("summary_claimed_at")

    with op.batch_alter_table("delivery_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_parts_state")

    op.drop_table("delivery_parts")
