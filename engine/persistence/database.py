"""Database connection: the SQLAlchemy engine for ``DATABASE_URL`` (embedded SQLite by default)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .models import Base

DEFAULT_SQLITE_PATH = Path("instance") / "onething.db"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``DATABASE_URL``, else the embedded SQLite file."""
    if url:
        return url
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(conn) -> None:
    # Take SQLite's write lock when the transaction begins: a transaction that read first and wrote
    # later would otherwise fail with "database is locked" whenever any other writer committed meanwhile.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class _WithoutRows(logging.Filter):
    """SQLAlchemy logs every row it fetches at DEBUG — the application's personal data (R8.2)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Row %r"


_WITHOUT_ROWS = _WithoutRows()


def make_engine(url: str | None = None) -> Engine:
    """The engine; its logs and errors never carry bound parameters or fetched rows (personal data)."""
    url = database_url(url)
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(_WITHOUT_ROWS)
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None})
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_immediate)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    return engine


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
