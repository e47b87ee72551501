"""outbox ids made by the bot: BIGINT

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

The bot makes outbox ids itself, in time order (bot.services.outbox.TimeOrderedIds), so that a
step's replies are inserted with the rest of its COMMIT instead of one INSERT … RETURNING each.
They need 63 bits: on PostgreSQL the column becomes BIGINT. On SQLite an INTEGER PRIMARY KEY
already holds 64 bits. Rows already there keep their (small) ids, which sort before new ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("outbox_messages", "id", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DELETE FROM outbox_messages")  # bot-made ids do not fit an INTEGER
        op.alter_column("outbox_messages", "id", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
