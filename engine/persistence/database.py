"""Database connection and schema: the SQLAlchemy engine for ``DATABASE_URL`` (embedded SQLite by default,
PostgreSQL through psycopg 3), and the schema kept by the Alembic migrations in ``migrations/``.

``create_schema`` initialises an empty database and refuses, with :class:`SchemaOutdated` saying how to
upgrade, a database at an older revision, unless told to upgrade it (``upgrade=True`` or
``ONETHING_AUTO_UPGRADE=1``).
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from . import material_models, migrations, operations_models  # noqa: F401  (every table on Base.metadata)
from .models import Base
from .writer_queue import WriterQueue, lock_file_of

DEFAULT_SQLITE_PATH = Path("instance") / "onething.db"
AUTO_UPGRADE_ENV = "ONETHING_AUTO_UPGRADE"
UPGRADE_HINT = f"run `onething db upgrade` (or start with --upgrade, or set {AUTO_UPGRADE_ENV}=1), then start again"
_SCHEMA_LOCK = 0x6F6E657468696E67  # any constant: the advisory lock PostgreSQL schema changes take

log = logging.getLogger(__name__)


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


READ_ONLY = "onething_read_only"  # execution option of the engine that read-only units of work use


def _begin(conn) -> None:
    # A writing transaction takes SQLite's write lock when it begins: one that read first and wrote later
    # would otherwise fail with "database is locked" whenever any other writer committed meanwhile. A
    # read-only one begins deferred: in WAL mode it neither waits for the writer nor holds it up.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


class _WithoutRows(logging.Filter):
    """SQLAlchemy logs every row it fetches at DEBUG — the application's personal data (R8.2)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Row %r"


_WITHOUT_ROWS = _WithoutRows()


POOL_SIZE = 16  # connections kept per process (waitress serves with 8 threads by default, plus the worker)


def make_engine(url: str | None = None) -> Engine:
    """The engine; its logs and errors never carry bound parameters or fetched rows (personal data)."""
    url = database_url(url)
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(_WITHOUT_ROWS)
    if url.startswith("sqlite"):
        # a pooled connection for every API thread: one opened and closed per request costs its PRAGMAs
        engine = create_engine(
            url,
            hide_parameters=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_SIZE,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
        )
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin)
    else:
        engine = create_engine(url, hide_parameters=True, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
        _ping_when_idle(engine)
    return engine


def observe_pool(engine: Engine, in_use: Callable[[int], None]) -> None:
    """Call ``in_use(+1)`` when a connection is checked out of the engine's pool and ``in_use(-1)`` when it is
    back (the pool's use, for the metrics)."""
    event.listen(engine, "checkout", lambda *_: in_use(1))
    event.listen(engine, "checkin", lambda *_: in_use(-1))


PING_AFTER_IDLE_S = 30.0


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping`` for connections idle longer than ``PING_AFTER_IDLE_S`` only (a server restarted
    meanwhile): a ping before every request was a tenth of the API's time. A connection that breaks
    while in use is still detected and the pool renewed by SQLAlchemy."""

    def checkin(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE_S:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as err:  # the pool replaces the connection and checks out another
                raise DisconnectionError(str(err)) from err

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


class SchemaOutdated(RuntimeError):
    """The database is not at the schema revision this release needs, and was not upgraded."""


@dataclass(frozen=True)
class SchemaStatus:
    state: str  # empty | current | outdated | unversioned | unknown
    current: str | None
    head: str

    def describe(self) -> str:
        if self.state == "current":
            return f"the database schema is at revision {self.head} (the newest)"
        if self.state == "empty":
            return f"the database is empty (this release creates schema revision {self.head})"
        if self.state == "unversioned":
            return (
                f"the database has onething tables but no migration history (made before migrations "
                f"existed); this release needs schema revision {self.head}: {UPGRADE_HINT}"
            )
        if self.state == "unknown":
            return (
                f"the database schema is at revision {self.current}, which this release does not know "
                f"(made by a newer release?); this release needs {self.head}"
            )
        return f"the database schema is at revision {self.current}, this release needs {self.head}: {UPGRADE_HINT}"


def schema_status(connection: Connection) -> SchemaStatus:
    head = migrations.head()
    current = migrations.current(connection)
    if current is None:
        ours = set(inspect(connection).get_table_names()) & set(Base.metadata.tables)
        return SchemaStatus("unversioned" if ours else "empty", None, head)
    if current == head:
        return SchemaStatus("current", current, head)
    return SchemaStatus("outdated" if migrations.known(current) else "unknown", current, head)


class ForeignKeysBroken(RuntimeError):
    """A migration left rows that refer to rows that are not there; it was rolled back."""


def _driver_connection(connection: Connection) -> Any:
    """The DB-API connection under ``connection`` (there is one while it is checked out of the pool)."""
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the database connection was closed")
    return driver


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for the migrations. On SQLite, foreign keys are not enforced while they
    run: a migration that changes a column rebuilds the table (copy, drop, rename: Alembic's batch mode),
    and dropping a table that other rows refer to fails while they are. Every reference is checked before
    the commit instead, and enforcement is back on before the connection returns to the pool."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # outside any transaction, or SQLite ignores it
            _driver_connection(connection).execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        tables = sorted({row[0] for row in broken})
                        raise ForeignKeysBroken(
                            f"the schema change left {len(broken)} row(s) of "
                            f"{', '.join(tables)} referring to rows that are not there: "
                            f"nothing was changed"
                        )
        finally:
            if sqlite:
                _driver_connection(connection).execute("PRAGMA foreign_keys=ON")


def create_schema(engine: Engine, upgrade: bool | None = None) -> SchemaStatus:
    """Bring the database to this release's schema: an empty one always, an older one only if ``upgrade``
    (default: ``ONETHING_AUTO_UPGRADE=1``); else raise :class:`SchemaOutdated`. The status it found."""
    if upgrade is None:
        upgrade = os.environ.get(AUTO_UPGRADE_ENV, "").lower() in ("1", "true", "yes")
    with _migrating(engine) as connection:
        if connection.dialect.name == "postgresql":  # two processes starting at once: one migrates
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        status = schema_status(connection)
        if status.state == "current":
            return status
        if status.state == "unversioned" and upgrade:
            adopted = migrations.unversioned_revision(inspect(connection))
            if adopted is None:
                raise SchemaOutdated(
                    "the database has some onething tables but not a whole schema: "
                    "restore it from a backup or use an empty database"
                )
            migrations.stamp(connection, adopted)
        elif status.state == "unknown" or (status.state != "empty" and not upgrade):
            raise SchemaOutdated(status.describe())
        migrations.upgrade(connection)
    if status.state == "empty":  # Alembic's own lines say each step, with `onething -v`
        log.info("database schema created at revision %s", status.head)
    else:
        log.info("database schema upgraded from %s to revision %s", status.current or status.state, status.head)
    return status


@dataclass
class Sessions:
    """Sessions for writing and for reading only, and what a writer holds while it writes: on SQLite the
    writer queue of ``writer_queue`` (one writer at a time, woken the moment the one before commits);
    PostgreSQL needs none. Whoever waits for a change in this process hears of each commit that signalled
    one (:meth:`on_commit`, :mod:`.signals`)."""

    engine: Engine
    write: sessionmaker[Session] = field(init=False)
    read: sessionmaker[Session] = field(init=False)
    _writer: WriterQueue | nullcontext = field(init=False)
    _committed: list[Callable[[Iterable[str]], None]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.write = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.read = sessionmaker(bind=self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        sqlite = self.engine.dialect.name == "sqlite"
        self._writer = WriterQueue(lock_file_of(self.engine.url.database)) if sqlite else nullcontext()

    def writing(self) -> AbstractContextManager[Any]:
        """Held for the whole of a writing unit of work."""
        return self._writer

    def on_commit(self, callback: Callable[[Iterable[str]], None]) -> None:
        """Call ``callback(channels)`` after each commit in this process that signalled ``channels``."""
        self._committed.append(callback)

    def committed(self, channels: Iterable[str]) -> None:
        for callback in self._committed:
            callback(channels)


def session_factory(engine: Engine) -> Sessions:
    return Sessions(engine)
