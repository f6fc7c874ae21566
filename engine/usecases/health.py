"""Is the service alive, and ready for work (issue 25, "Health"): the answers of ``/api/health/live`` and
``/api/health/ready`` for load balancers and the units' and containers' health checks, and the workers'
heartbeats that readiness reads.

Ready means: the database answers, its schema is at this release's revision, a worker was seen within a
minute (``worker_heartbeats``: each worker writes its row every few seconds and deletes it when it stops),
and no calendar year in use -- this one or the next -- is one that cannot be counted (R5.1). Heartbeats are
on the wall clock (UTC), not the service clock: they say whether a process runs, not what day it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..clock import CHINA
from ..context import EngineContext
from .calendar import calendar_status

WORKER_SILENT_AFTER = timedelta(minutes=1)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def beat(ctx: EngineContext, name: str, started_at: datetime) -> None:
    """Worker ``name`` runs (its heartbeat row, written now)."""
    with ctx.uow() as uow:
        uow.operations.beat(name, started_at, wall_clock())
        uow.commit()


def stopped(ctx: EngineContext, name: str) -> None:
    """Worker ``name`` stopped cleanly: it is no longer counted as running."""
    with ctx.uow() as uow:
        uow.operations.forget_worker(name)
        uow.commit()


def _check(ok: bool, detail: str) -> dict:
    return {"ok": ok, "detail": detail}


def readiness(ctx: EngineContext) -> dict:
    """``{"status": "ready" | "not_ready", "checks": {database, schema, worker, calendar}}``, each check
    ``{"ok", "detail"}`` (English, for operators)."""
    checks: dict[str, dict] = {}
    try:
        with ctx.reader() as uow:
            uow.ping()
            checks["database"] = _check(True, "the database answers")
            schema = uow.schema_status()
            checks["schema"] = _check(schema.state == "current", schema.describe())
            seen = uow.operations.last_worker_seen()
    except Exception as err:  # noqa: BLE001 -- whatever the database says, readiness answers
        checks["database"] = _check(False, f"the database does not answer ({err.__class__.__name__})")
        checks.setdefault("schema", _check(False, "unknown: the database does not answer"))
        seen = None
        checks["worker"] = _check(False, "unknown: the database does not answer")
    if "worker" not in checks:
        if seen is None:
            checks["worker"] = _check(False, "no worker is running (none has written its heartbeat)")
        else:
            silent = (wall_clock() - seen).total_seconds()
            checks["worker"] = _check(
                silent <= WORKER_SILENT_AFTER.total_seconds(), f"a worker was last seen {silent:.0f} s ago"
            )
    checks["calendar"] = _calendar_check(ctx)
    return {"status": "ready" if all(check["ok"] for check in checks.values()) else "not_ready", "checks": checks}


def _calendar_check(ctx: EngineContext) -> dict:
    try:
        uncovered = uncovered_years_in_use(ctx)
    except Exception as err:  # noqa: BLE001 -- the calendar's years are read from the database
        return _check(False, f"the calendar cannot be read ({err.__class__.__name__})")
    if uncovered:
        return _check(
            False,
            f"cannot count working days through {', '.join(map(str, uncovered))}: load the State "
            f"Council's holiday notice (`onething calendar import`)",
        )
    return _check(True, "every year in use can be counted")


def uncovered_years_in_use(ctx: EngineContext) -> list[int]:
    """This year and the next when their working days cannot be counted (no notice loaded, statutory holidays
    not computable): every due date through them is refused."""
    next_year = ctx.clock.now().astimezone(CHINA).year + 1
    return [year for year in calendar_status(ctx)["uncovered_years"] if year <= next_year]
