"""Schema migrations (Alembic), configured in code: no alembic.ini.

``upgrade``/``current``/``head`` are what ``engine.persistence.database`` and ``onething db`` use;
``python -m engine.persistence.migrations <alembic command>`` runs any Alembic command (for example
``revision --autogenerate -m "..."``) against ``DATABASE_URL``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

LOCATION = Path(__file__).resolve().parent


def config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for this package; migrations run on ``connection`` (else on ``url``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(LOCATION))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    found = scripts().get_current_head()
    if found is None:
        raise RuntimeError("the release has no schema migrations")
    return found


def known(revision: str) -> bool:
    try:
        return scripts().get_revision(revision) is not None
    except Exception:  # an unknown or malformed id
        return False


def current(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(config(connection), revision)


def stamp(connection: Connection, revision: str) -> None:
    command.stamp(config(connection), revision)


def unversioned_revision(inspector) -> str | None:
    """The revision a database made by ``create_all`` before migrations existed is at, by its tables and
    columns (``onething db upgrade`` stamps it, then upgrades); None if it is not a whole onething schema."""
    tables = set(inspector.get_table_names())
    if not {"deployments", "process_instances", "user_tasks", "jobs", "idempotency_records"} <= tables:
        return None
    job_columns = {column["name"] for column in inspector.get_columns("jobs")}
    if "locked_at" in job_columns:
        return "0008a_external_tasks"
    if "audit_events" in tables:
        return "0008e_oversight_admin"
    if "search_keys" in tables:
        return "0008d_clerk_tools"
    if "decision_definitions" in tables:
        return "0008b_rest_more"
    if "worker_heartbeats" in tables:
        return "0008c_observe_retain"
    if "materials" not in tables:
        return "0001"
    if "payload" in job_columns:
        return "0002"
    if "calendar_years" not in tables:
        return "0003"
    deployment_columns = {column["name"] for column in inspector.get_columns("deployments")}
    if "forced_over" not in deployment_columns:
        return "0004"
    if "source" not in deployment_columns:
        return "0005"
    if "web_sessions" in tables:
        return "0007b_sessions_and_attempts"
    if "instance_calendar_years" in tables:
        return "0007c_counted_years"
    instance_columns = {column["name"] for column in inspector.get_columns("process_instances")}
    if "subject_key" in instance_columns:
        return "0007e_subject_key"
    return "0007d_business_errors" if "error_code" in job_columns else "0006"
