"""Answers staff confirmed as right (「確認済み」 on the answers to check): a reason of their own, apart from questions
dismissed as nothing for the FAQ, so that later publishes can be checked against them.

The reason's check constraint changes: the table is made again with it (the portable way, SQLite and PostgreSQL
alike) and its rows copied over.

Revision ID: 0006_confirmed_answers
Revises: 0005_staged_files
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_confirmed_answers"
down_revision = "0005_staged_files"
branch_labels = None
depends_on = None


def _remake(reasons: str, copied_reason: str) -> None:
    """The dismissals table again, with a check on ``reasons``; each row's reason as ``copied_reason`` gives it."""
    op.create_table(
        "dismissals_next",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, sa.CheckConstraint(f"reason IN ({reasons})"), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.execute(
        f"INSERT INTO dismissals_next (request_id, reason, created) SELECT request_id, {copied_reason}, created "
        "FROM dismissals"
    )
    op.drop_table("dismissals")
    op.rename_table("dismissals_next", "dismissals")


def upgrade() -> None:
    """Allow the reason ``confirmed``."""
    _remake("'alternate', 'dismissed', 'confirmed'", "reason")


def downgrade() -> None:
    """Back to two reasons: a confirmed answer was dismissed before."""
    _remake("'alternate', 'dismissed'", "CASE WHEN reason = 'confirmed' THEN 'dismissed' ELSE reason END")
