"""languages: a person's chosen interface language, an event's report language

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

``participants.language_chosen``: set when the person picked a language with /language; until
then ``participants.language`` follows the language of their Telegram app (fr → French,
otherwise English). Stored codes are normalised to the locales the bot speaks ("en", "fr").
``events.report_language``: the language of the event's drafts and exports (headings, prose
templates, dates), English unless the organiser or the agenda says otherwise.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_chosen", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_language", sa.String(length=12), nullable=False, server_default="en"))
    participants = sa.table("participants", sa.column("language", sa.String))
    op.execute(participants.update().where(participants.c.language.like("fr%")).values(language="fr"))
    op.execute(participants.update().where(sa.not_(participants.c.language.like("fr%"))).values(language="en"))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("report_language")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("language_chosen")
