"""How many entries a publish or rollback moved (a reordered FAQ reorders the category buttons).

Revision ID: 0008_publish_moves
Revises: 0007_publish_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_publish_moves"
down_revision = "0007_publish_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add publish_events.moved (0 for the events before it, and for a replica of the older version writing one)."""
    op.add_column("publish_events", sa.Column("moved", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop it (SQLite 3.35 and later drop a column in place, its CHECK constraints kept)."""
    op.drop_column("publish_events", "moved")
