"""report privacy: smallest reportable community, consent to the writing model

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

``events.min_group_size`` (k, default 3): in anonymous sessions a policy community with fewer
members is reported as "other", and breakdowns by community are shown only when every group
has at least k people. ``events.allow_writing_model``: whether an anonymous session's statements
may be sent to the configured writing model (LLM_BASE_URL); off unless the organiser allows it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_group_size", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column("allow_writing_model", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("allow_writing_model")
        batch_op.drop_column("min_group_size")
