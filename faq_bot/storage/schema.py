"""The tables, as SQLAlchemy Core metadata: one schema for SQLite (one machine) and PostgreSQL (several).

The migrations in ``faq_bot/storage/migrations/versions`` create exactly these; a test
compares the two. Times are epoch seconds (``created``), as the SQLite log always kept them.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: One row per visitor question (personal data masked before it is stored).
chats = sa.Table(
    "chats",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("session_id", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("categories", sa.Text, nullable=False, server_default=""),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("entry_id", sa.Text),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("faq_version", sa.Text, nullable=False),
    sa.Index("chats_created", "created"),
)

#: Suggestions opened from a reply (the question counts as resolved).
clicks = sa.Table(
    "clicks",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("entry_id", sa.Text, primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
)

#: At most one 👍/👎 per reply.
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("request_id", sa.Text, sa.ForeignKey("chats.request_id"), primary_key=True),
    sa.Column("rating", sa.Text, sa.CheckConstraint("rating IN ('up', 'down')"), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("created", sa.Float, nullable=False),
)

#: Unanswered questions staff have dealt with (added as an alternate, or dismissed).
dismissals = sa.Table(
    "dismissals",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    # alternate: answered since an alternate or entry was published; dismissed: nothing for the FAQ (対応不要);
    # confirmed: an answer staff checked and found right (確認済み), which later publishes are checked against
    sa.Column(
        "reason",
        sa.Text,
        sa.CheckConstraint("reason IN ('alternate', 'dismissed', 'confirmed')", name="dismissals_reason_check"),
        nullable=False,
    ),
    sa.Column("created", sa.Float, nullable=False),
)

#: Logged questions a rollback put back on their list (the alternate or entry that answered them went with it): a
#: later rollback to a version that answers them takes them off again (``faq_bot.quality.unanswered``).
put_back = sa.Table(
    "put_back",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
)

#: Live admin sessions, by the sha256 of the session id (a copy of the table gives no usable ids).
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("expires", sa.Float, nullable=False),
)

#: Published FAQ versions shared by replicas: the TSV, the manifest and the build's files (a tar).
faq_versions = sa.Table(
    "faq_versions",
    metadata,
    sa.Column("build_id", sa.String(128), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("manifest", sa.Text, nullable=False),  # JSON, as manifest.json in the build folder
    sa.Column("tsv", sa.LargeBinary, nullable=False),
    sa.Column("build", sa.LargeBinary, nullable=False),
)

#: The one version every replica serves: a single row, moved by compare-and-set on ``build_id``.
faq_current = sa.Table(
    "faq_current",
    metadata,
    sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True, autoincrement=False),
    sa.Column("build_id", sa.String(128), sa.ForeignKey("faq_versions.build_id"), nullable=False),
    sa.Column("changed", sa.Float, nullable=False),
)

#: The embedding of an unsettled question (escalated, or given suggestions), for grouping the
#: unanswered ones: the chat's own query vector, stored with it (float16), so that the staff
#: pages never encode the log again. ``model``: the encoder it came from.
question_vectors = sa.Table(
    "question_vectors",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),
)

#: Files kept between two admin requests (a previewed upload, a batch result, an undo) when replicas share
#: the database: the request that publishes a preview may reach another replica (``faq_bot.storage.staging``).
staged_files = sa.Table(
    "staged_files",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Index("staged_files_created", "created"),
)

#: What went live when: each publish and each rollback, with what it changed (the admin page's 公開の履歴).
publish_events = sa.Table(
    "publish_events",
    metadata,
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
    sa.Column("moved", sa.Integer, nullable=False, server_default="0"),
)
