"""Questions a rollback put back on their list, so that rolling forward again takes them off.

Revision ID: 0009_put_back
Revises: 0008_publish_moves
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_put_back"
down_revision = "0008_publish_moves"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the put_back table (empty: the rollbacks before it recorded nothing)."""
    op.create_table(
        "put_back",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Drop it (the questions stay on their list)."""
    op.drop_table("put_back")
