"""Alembic migrations of the faq-bot database (SQLite and PostgreSQL alike); run by ``storage.database.migrate``."""
