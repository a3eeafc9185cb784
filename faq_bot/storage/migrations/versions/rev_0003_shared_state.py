"""What replicas share: admin sessions and the published FAQ versions with the one current.

Revision ID: 0003_shared_state
Revises: 0002_dismissals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_shared_state"
down_revision = "0002_dismissals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create sessions (unless a pre-Alembic session file has it), faq_versions and faq_current."""
    if not sa.inspect(op.get_bind()).has_table("sessions"):
        op.create_table(
            "sessions",
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("expires", sa.Float, nullable=False),
        )
    op.create_table(
        "faq_versions",
        sa.Column("build_id", sa.String(128), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("tsv", sa.LargeBinary, nullable=False),
        sa.Column("build", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "faq_current",
        sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True, autoincrement=False),
        sa.Column("build_id", sa.String(128), sa.ForeignKey("faq_versions.build_id"), nullable=False),
        sa.Column("changed", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("faq_current")
    op.drop_table("faq_versions")
    op.drop_table("sessions")
