"""Files kept between two admin requests, shared by replicas (a preview made on one, published on another).

Revision ID: 0005_staged_files
Revises: 0004_question_vectors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_staged_files"
down_revision = "0004_question_vectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the staged_files table."""
    op.create_table(
        "staged_files",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("staged_files_created", "staged_files", ["created"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("staged_files_created", table_name="staged_files")
    op.drop_table("staged_files")
