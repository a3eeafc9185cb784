"""The embeddings of unsettled questions, stored when they are logged (for grouping them).

Revision ID: 0004_question_vectors
Revises: 0003_shared_state
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_question_vectors"
down_revision = "0003_shared_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the question_vectors table."""
    op.create_table(
        "question_vectors",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("question_vectors")
