"""Answers staff confirmed as right (「確認済み」 on the answers to check): a reason of their own, apart from questions
dismissed as nothing for the FAQ, so that later publishes can be checked against them.

The reason's check constraint changes. PostgreSQL names a column's check ``dismissals_reason_check``: it is dropped
and added again in the migration's transaction (the table locked meanwhile: a replica's write waits, none is lost).
SQLite cannot alter a constraint: the table is made again with it and its rows copied over, in the migration's
``BEGIN IMMEDIATE`` transaction (no write comes in between).

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

CHECK = "dismissals_reason_check"


def _check_reasons(reasons: str) -> None:
    """The reason's check allows ``reasons`` from now on."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(CHECK, "dismissals", type_="check")
        op.create_check_constraint(CHECK, "dismissals", f"reason IN ({reasons})")
        return
    op.create_table(
        "dismissals_next",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, sa.CheckConstraint(f"reason IN ({reasons})", name=CHECK), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.execute(
        "INSERT INTO dismissals_next (request_id, reason, created) SELECT request_id, reason, created FROM dismissals"
    )
    op.drop_table("dismissals")
    op.rename_table("dismissals_next", "dismissals")


def upgrade() -> None:
    """Allow the reason ``confirmed``."""
    _check_reasons("'alternate', 'dismissed', 'confirmed'")


def downgrade() -> None:
    """Back to two reasons: a confirmed answer was dismissed before."""
    op.execute("UPDATE dismissals SET reason = 'dismissed' WHERE reason = 'confirmed'")
    _check_reasons("'alternate', 'dismissed'")
