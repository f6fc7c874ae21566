"""Alembic environment: the metadata of every model module, on the caller's connection or a URL."""

from __future__ import annotations

from alembic import context

from engine.persistence import material_models, models  # noqa: F401  (every table of Base.metadata)
from engine.persistence.database import make_engine
from engine.persistence.models import Base, UtcDateTime

target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Write our ``UtcDateTime`` as the column type it is in the database."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs) -> None:
    context.configure(target_metadata=target_metadata, render_item=render_item, compare_type=True, **kwargs)


def run_offline() -> None:
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as connection:
            _configure(connection=connection)
            context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
