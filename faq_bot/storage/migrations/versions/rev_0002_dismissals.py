"""Unanswered questions staff have dealt with (the SQLite log's ``user_version`` 2).

Revision ID: 0002_dismissals
Revises: 0001_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_dismissals"
down_revision = "0001_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the dismissals table."""
    op.create_table(
        "dismissals",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, sa.CheckConstraint("reason IN ('alternate', 'dismissed')"), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("dismissals")
