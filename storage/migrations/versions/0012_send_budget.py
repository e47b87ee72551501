"""send budget: one timeline of message sends for every process of a deployment

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

``send_budget`` holds one row (id 1): when the last booked message send leaves, in seconds since
the epoch on the database's clock. Webhook workers and the scheduler book each message on it
(bot.send_budget), so together they stay within Telegram's overall limit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    budget = op.create_table(
        "send_budget",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_budget")),
    )
    op.bulk_insert(budget, [{"id": 1, "next_at": 0.0}])


def downgrade() -> None:
    op.drop_table("send_budget")
