"""Wiring and preparing: ``build_context`` wires an ``EngineContext`` for a database URL (no writes);
``prepare`` is the explicit start-up step of ``serve``, ``worker``, the other commands and the tests: the
schema created or checked (migrations), the working-day calendar seeded with the years the installed
``chinesecalendar`` covers, and the bundled ``workflows/`` files deployed into an empty database."""

from __future__ import annotations

import os

from . import metrics
from .calendar_source import CalendarSource
from .clock import Clock, clock_from_environment
from .context import DEFAULT_JOB_ATTEMPTS, EngineContext
from .definitions import SpecCache
from .errors import EngineError
from .external_topics import ExternalTopics
from .handlers import HandlerRegistry
from .log_privacy import keep_task_data_out_of_logs
from .persistence.database import POOL_SIZE, SchemaStatus, create_schema, make_engine, observe_pool, session_factory
from .retention import policies
from .service import Service, Services, installed_services
from .usecases.calendar import seed_from_package
from .usecases.deployments import deploy_bundled_if_empty


def build_context(
    database_url: str | None = None,
    clock: Clock | None = None,
    registry: HandlerRegistry | None = None,
    specs: SpecCache | None = None,
    services: list[Service] | None = None,
    external: ExternalTopics | None = None,
) -> EngineContext:
    """The engine's dependencies for ``database_url`` (``DATABASE_URL``, else the embedded SQLite): the
    ``services`` (default: the installed ones) and their handlers (``registry`` replaces them: tests plant
    failing departments), ``specs`` a parsed-spec cache to share (the tests share one across databases),
    ``external`` the topics external workers run (default: ``ONETHING_EXTERNAL_TOPICS``)."""
    installed = Services(installed_services() if services is None else services)
    policies(installed.all)  # a bad ONETHING_RETENTION stops the start, not the first daily run
    keep_task_data_out_of_logs()
    engine = make_engine(database_url)
    observe_pool(engine, metrics.db_connections_in_use.inc)
    metrics.db_pool_size.inc(POOL_SIZE)
    sessions = session_factory(engine)
    return EngineContext(
        sessions=sessions,
        services=installed,
        registry=registry or installed.handlers(),
        clock=clock or clock_from_environment(),
        specs=specs or SpecCache(),
        max_attempts=job_attempts_from_environment(),
        external=external if external is not None else ExternalTopics.from_environment(),
        calendar=CalendarSource(sessions),
    )


def job_attempts_from_environment() -> int:
    """``ONETHING_JOB_ATTEMPTS``: how many times a job is tried before it is an incident (default 5)."""
    text = os.environ.get("ONETHING_JOB_ATTEMPTS", "").strip()
    if not text:
        return DEFAULT_JOB_ATTEMPTS
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 100:
        raise EngineError(f"ONETHING_JOB_ATTEMPTS must be a whole number from 1 to 100, not {text!r}")
    return int(text)


def prepare(ctx: EngineContext, *, upgrade: bool | None = None, deploy_bundled: bool = True) -> SchemaStatus:
    """Make the database ready for ``ctx``: schema (an older one only with ``upgrade``, else
    ``SchemaOutdated``), calendar years, bundled deployment. Safe to run from several processes at once."""
    status = create_schema(ctx.sessions.engine, upgrade=upgrade)
    seed_from_package(ctx)
    if deploy_bundled:
        deploy_bundled_if_empty(ctx)
    return status


def ready_context(
    database_url: str | None = None,
    clock: Clock | None = None,
    registry: HandlerRegistry | None = None,
    *,
    upgrade: bool | None = None,
    services: list[Service] | None = None,
) -> EngineContext:
    """``build_context`` and ``prepare``: what every command starts with."""
    ctx = build_context(database_url, clock, registry, services=services)
    prepare(ctx, upgrade=upgrade)
    return ctx
