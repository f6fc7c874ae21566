"""Alembic revisions, oldest first: ``0001`` baseline, then one file per schema change."""
