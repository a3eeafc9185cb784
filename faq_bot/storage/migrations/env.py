"""Alembic's entry point: migrations always run on the connection ``storage.database.migrate`` passes in."""

from __future__ import annotations

from alembic import context

from faq_bot.storage.schema import metadata

connection = context.config.attributes["connection"]
# render_as_batch: SQLite alters a table by copying it; Alembic's batch mode does that for us.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
