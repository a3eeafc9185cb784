"""What went live when: each publish and rollback (the admin page's 公開の履歴).

Revision ID: 0007_publish_events
Revises: 0006_confirmed_answers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_publish_events"
down_revision = "0006_confirmed_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the publish_events table."""
    op.create_table(
        "publish_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("action", sa.Text, sa.CheckConstraint("action IN ('publish', 'rollback')"), nullable=False),
        sa.Column("build_id", sa.Text, nullable=False),
        sa.Column("faq_version", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("publish_events")
