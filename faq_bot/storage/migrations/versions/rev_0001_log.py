"""The question log: questions, opened suggestions, feedback (the SQLite log's ``user_version`` 1).

Revision ID: 0001_log
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_log"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the log's first tables."""
    op.create_table(
        "chats",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("session_id", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False, server_default=""),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("entry_id", sa.Text),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("faq_version", sa.Text, nullable=False),
    )
    op.create_index("chats_created", "chats", ["created"])
    op.create_table(
        "clicks",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("entry_id", sa.Text, primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("request_id", sa.Text, sa.ForeignKey("chats.request_id"), primary_key=True),
        sa.Column("rating", sa.Text, sa.CheckConstraint("rating IN ('up', 'down')"), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("feedback")
    op.drop_table("clicks")
    op.drop_index("chats_created", "chats")
    op.drop_table("chats")
