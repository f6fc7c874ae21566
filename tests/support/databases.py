"""A fresh database per test, copied from a template prepared once per test session as ``onething serve``
prepares a new database (migrated, the calendar seeded, the bundled workflows deployed): a copied SQLite
file, or, when ``ONETHING_TEST_DATABASE_URL`` names a PostgreSQL server (``python -m tests.support.pgcluster
run -- pytest``), a new database ``t_<uuid>`` created from the template (the next one is copied while a test
runs), dropped when the test ends. ``SPECS`` is the parsed-spec cache every test's context shares.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import make_url

TEST_URL_ENV = "ONETHING_TEST_DATABASE_URL"
TEMPLATE = f"onething_template_{os.getpid()}"

from engine.definitions import SpecCache  # noqa: E402

SPECS = SpecCache()

_template_lock = threading.Lock()
_template_build_lock = threading.Lock()
_template_ready: set[str] = set()


def server_url() -> str | None:
    """The PostgreSQL server the tests run on, if any (its maintenance database's URL)."""
    url = os.environ.get(TEST_URL_ENV, "")
    return url if url.startswith("postgresql") else None


def on_postgresql() -> bool:
    return server_url() is not None


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin(url: str):
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True)


def prepare_template(url: str) -> None:
    """Prepare the database of ``url`` as a first start does (``engine.bootstrap.prepare``)."""
    from engine.bootstrap import build_context, prepare

    ctx = build_context(url, specs=SPECS)
    try:
        prepare(ctx)
    finally:
        ctx.sessions.engine.dispose()  # a template must have no connections when it is copied


_sqlite_template: Path | None = None


def _sqlite_copy(target: Path) -> str:
    """A copy of the prepared SQLite template (made once per session)."""
    global _sqlite_template
    with _template_build_lock:
        if _sqlite_template is None:
            path = Path(tempfile.mkdtemp(prefix="onething-template-")) / "template.db"
            prepare_template(f"sqlite:///{path}")
            with sqlite3.connect(path) as conn:  # everything in the main file, nothing left in the WAL
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            atexit.register(shutil.rmtree, path.parent, True)
            _sqlite_template = path
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite:///{target}"


def _ensure_template(url: str) -> None:
    """Create and prepare the template database once (what each test's database is copied from)."""
    with _template_build_lock:
        if url in _template_ready:
            return
        with _admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        prepare_template(with_database(url, TEMPLATE))
        if not _template_ready:
            atexit.register(_drop_templates)
        _template_ready.add(url)


def create_database(url: str) -> str:
    """A new database copied from the migrated template; its URL."""
    _ensure_template(url)
    name = f"t_{uuid.uuid4().hex}"
    with _admin(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    return with_database(url, name)


class _Ahead:
    """Creates the next test's database while the current test runs (copying takes a few 100 ms)."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.next: concurrent.futures.Future | None = None
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="next-db")

    def take(self) -> str:
        url = (self.next or self.pool.submit(create_database, self.server)).result()
        self.next = self.pool.submit(create_database, self.server)
        return url


_ahead: dict[str, _Ahead] = {}


def drop_database(server: str, url: str) -> None:
    """Drop the database of ``url`` (its connections are ended), connected to ``server``'s own database."""
    name = make_url(url).database
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_templates() -> None:
    """At exit: the database made for a test that never came, and the template."""
    leftovers = [(a.server, a.next.result()) for a in _ahead.values() if a.next and not a.next.exception()]
    for server, url in leftovers + [(url, with_database(url, TEMPLATE)) for url in _template_ready]:
        try:
            drop_database(server, url)
        except Exception:  # the server may be gone already
            pass


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a prepared database of its own for one test."""
    server = server_url()
    if server is None:
        yield _sqlite_copy(tmp_path / "test.db")
        return
    with _template_lock:
        ahead = _ahead.setdefault(server, _Ahead(server))
    url = ahead.take()
    try:
        yield url
    finally:
        drop_database(server, url)


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no tables: never migrated), for tests of the migrations themselves."""
    server = server_url()
    if server is None:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"e_{uuid.uuid4().hex}"
    with _admin(server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server, name)
    try:
        yield url
    finally:
        drop_database(server, url)
