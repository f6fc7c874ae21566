"""A database's copy of itself by the database's own tools, for ``onething db backup`` / ``restore``:
PostgreSQL's ``pg_dump`` / ``pg_restore`` in their custom format, SQLite's online backup API
(``sqlite3.Connection.backup``). Both read one consistent snapshot while the service goes on writing.

The PostgreSQL programs are ``ONETHING_PG_BINDIR``'s, else the newest of Debian's
``/usr/lib/postgresql/<version>/bin``, else the ones on ``PATH``; ``pg_dump`` must be at least as new as
the server. The password of ``DATABASE_URL`` reaches them in their environment (``PGPASSWORD``), never on
a command line another user could read. What they say on failure is passed on without its ``DETAIL`` and
``CONTEXT`` lines (those may quote a row).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from .database import make_engine, schema_status
from .material_models import Material
from .models import ProcessInstance

PG_BINDIR_VARIABLE = "ONETHING_PG_BINDIR"
POSTGRESQL, SQLITE = "postgresql", "sqlite"
_QUOTING = ("DETAIL:", "CONTEXT:", "LINE ", "HINT:  Key")


class DumpError(RuntimeError):
    """A copy could not be made or loaded; the message says why and what to do."""


def kind_of(url: str) -> str:
    """``postgresql`` or ``sqlite``: the databases a copy is made of."""
    backend = make_url(url).get_backend_name()
    if backend not in (POSTGRESQL, SQLITE):
        raise DumpError(f"backups are made of PostgreSQL and SQLite databases, not {backend}")
    return backend


def describe(url: str) -> str:
    """Where the database is, for messages: no user name, no password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == SQLITE:
        return f"SQLite database {parsed.database}"
    where = f"{parsed.host or 'localhost'}{':' + str(parsed.port) if parsed.port else ''}"
    return f"PostgreSQL database {parsed.database} on {where}"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise DumpError("DATABASE_URL names no SQLite file")
    return Path(database)


# --- PostgreSQL's programs -------------------------------------------------------------------------------


def _debian_version(path: str) -> int:
    version = Path(path).parts[-3]
    return int(version) if version.isdigit() else 0


def pg_program(name: str) -> Path:
    """The path of ``pg_dump`` / ``pg_restore`` (see the module's docstring for where it is looked for)."""
    configured = os.environ.get(PG_BINDIR_VARIABLE)
    if configured:
        program = Path(configured) / name
        if not os.access(program, os.X_OK):
            raise DumpError(f"{PG_BINDIR_VARIABLE}={configured} has no {name}")
        return program
    debian = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_debian_version)
    if debian:
        return Path(debian[-1])
    found = shutil.which(name)
    if found:
        return Path(found)
    raise DumpError(
        f"{name} not found: install PostgreSQL's client programs (Debian: apt-get install "
        f"postgresql-client) or set {PG_BINDIR_VARIABLE} to the directory that holds them"
    )


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    parsed = make_url(url)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return uri, env


def _run(program: Path, args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(program), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace"
    )
    if done.returncode != 0:
        said = [
            line
            for line in (done.stderr or done.stdout).splitlines()
            if line.strip() and not line.lstrip().startswith(_QUOTING)
        ]
        raise DumpError(f"{program.name} failed (exit {done.returncode}):\n  " + "\n  ".join(said[-20:]))


def pg_version(program: Path) -> str:
    done = subprocess.run([str(program), "--version"], capture_output=True, text=True)
    return done.stdout.strip() or program.name


# --- what a database holds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contents:
    tables: list[str]
    revision: str | None  # the Alembic revision (None: never migrated)
    applications: int = 0
    active: int = 0
    materials: frozenset[str] = frozenset()  # the SHA-256 of every material version it records

    @property
    def empty(self) -> bool:
        return not self.tables


def contents(url: str) -> Contents:
    """What the database holds (a SQLite file that does not exist is empty, and is not created)."""
    if kind_of(url) == SQLITE and not _sqlite_path(url).exists():
        return Contents(tables=[], revision=None)
    try:
        return _contents(url)
    except DBAPIError as err:  # the server's own words: no row, no parameter (hide_parameters)
        said = str(err.orig).strip().splitlines()
        raise DumpError(f"cannot read the {describe(url)}: {said[0] if said else err.__class__.__name__}") from err


def _contents(url: str) -> Contents:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = sorted(inspect(connection).get_table_names())
            if not tables:
                return Contents(tables=[], revision=None)
            revision = schema_status(connection).current
            if not {ProcessInstance.__tablename__, Material.__tablename__} <= set(tables):
                return Contents(tables=tables, revision=revision)
            applications = connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()
            active = connection.execute(
                select(func.count()).select_from(ProcessInstance).where(ProcessInstance.state == "active")
            ).scalar_one()
            materials = frozenset(connection.scalars(select(Material.sha256).distinct()))
            return Contents(tables, revision, applications, active, materials)
    finally:
        engine.dispose()


# --- copy out, copy in -----------------------------------------------------------------------------------


def dump(url: str, target: Path) -> str:
    """Write a consistent copy of the database to ``target``; a line saying with what."""
    if kind_of(url) == POSTGRESQL:
        program = pg_program("pg_dump")
        uri, env = _libpq(url)
        _run(program, ["--format=custom", f"--file={target}", f"--dbname={uri}"], env)
        return f"{pg_version(program)}, custom format"
    path = _sqlite_path(url)
    if not path.exists():
        raise DumpError(f"there is no SQLite database at {path}")
    source = sqlite3.connect(path, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # one step: a snapshot, however much the service writes meanwhile
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except sqlite3.Error as err:
        raise DumpError(f"SQLite's backup of {path} failed: {err}") from err
    finally:
        source.close()
    return f"SQLite {sqlite3.sqlite_version} online backup"


def check(kind: str, copy: Path) -> None:
    """Refuse a copy its own tools cannot read (before anything is changed)."""
    if kind == POSTGRESQL:
        program = pg_program("pg_restore")
        _run(program, ["--list", str(copy)], dict(os.environ))
        return
    try:
        connection = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as err:
        raise DumpError(f"the SQLite copy in the backup cannot be read: {err}") from err
    if verdict != "ok":
        raise DumpError(f"the SQLite copy in the backup is damaged: {verdict}")


def load(url: str, copy: Path, *, replace: bool = False) -> None:
    """Load ``copy`` (made by :func:`dump` on the same kind of database) into the database of ``url``: an
    empty one, or with ``replace`` one whose tables it replaces. All or nothing."""
    if kind_of(url) == POSTGRESQL:
        program = pg_program("pg_restore")
        uri, env = _libpq(url)
        args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", f"--dbname={uri}"]
        if replace:
            args += ["--clean", "--if-exists"]
        _run(program, [*args, str(copy)], env)
        return
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(path, timeout=30)
        try:
            source.backup(target)  # the target's pages replaced, in one step
        finally:
            target.close()
    except sqlite3.Error as err:
        raise DumpError(f"SQLite's restore into {path} failed: {err}") from err
    finally:
        source.close()
