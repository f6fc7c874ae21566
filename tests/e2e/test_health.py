"""Liveness and readiness (issue 25, "Health"): ``/api/health/live`` answers while the process does, whatever
the database; ``/api/health/ready`` answers 503 with the failing check when the database does not answer,
when the schema is behind this release's, when no worker was seen within a minute (none started, one
stopped, one silent), and when this year or the next cannot be counted; 200 when all is well."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from api import create_app
from engine.bootstrap import build_context
from engine.calendar.statutory import LAST_YEAR
from engine.clock import CHINA
from engine.worker import Worker

PREVIOUS = "0007b_sessions_and_attempts"  # the revision before this release's


def ready(api) -> tuple[int, dict]:
    answer = api.get("/api/health/ready")
    return answer.status_code, answer.get_json()


def failing(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if not check["ok"]}


def test_ready_with_a_worker_running_and_not_without_one(api, ctx):
    assert api.get("/api/health/live").get_json() == {"status": "live"}
    status, body = ready(api)
    assert status == 503 and body["status"] == "not_ready" and failing(body) == {"worker"}
    assert "no worker" in body["checks"]["worker"]["detail"]

    worker = Worker(ctx, name="readiness-worker")
    worker.heartbeat_round()  # what run_forever does every few seconds
    status, body = ready(api)
    assert (status, body["status"], failing(body)) == (200, "ready", set())

    with ctx.uow() as uow:  # the worker went silent (killed): its heartbeat is two minutes old
        uow.session.execute(
            text("UPDATE worker_heartbeats SET seen_at = :at"), {"at": datetime.now(CHINA) - timedelta(minutes=2)}
        )
        uow.commit()
    status, body = ready(api)
    assert status == 503 and failing(body) == {"worker"} and "last seen 12" in body["checks"]["worker"]["detail"]

    worker._beaten = float("-inf")
    worker.heartbeat_round()
    assert ready(api)[0] == 200
    worker.stopped()  # a clean stop says so at once
    assert ready(api)[0] == 503


def test_not_ready_while_the_schema_is_behind(api, ctx):
    Worker(ctx, name="readiness-worker").heartbeat_round()
    assert ready(api)[0] == 200
    with ctx.uow() as uow:
        head = uow.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        uow.session.execute(text("UPDATE alembic_version SET version_num = :old"), {"old": PREVIOUS})
        uow.commit()
    try:
        status, body = ready(api)
        assert status == 503 and failing(body) == {"schema"}
        assert (
            PREVIOUS in body["checks"]["schema"]["detail"]
            and "onething db upgrade" in body["checks"]["schema"]["detail"]
        )
        assert api.get("/api/health/live").status_code == 200
    finally:
        with ctx.uow() as uow:
            uow.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            uow.commit()


def test_not_ready_when_next_year_cannot_be_counted(api, ctx, clock):
    Worker(ctx, name="readiness-worker").heartbeat_round()
    clock.advance(datetime(LAST_YEAR, 12, 10, 10, tzinfo=CHINA) - clock.now())
    status, body = ready(api)
    assert status == 503 and failing(body) == {"calendar"}
    assert str(LAST_YEAR + 1) in body["checks"]["calendar"]["detail"]


def test_alive_but_not_ready_without_a_database(tmp_path):
    ctx = build_context(f"sqlite:///{tmp_path}/missing/dir/onething.db")
    client = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx).test_client()
    assert client.get("/api/health/live").status_code == 200
    answer = client.get("/api/health/ready")
    assert answer.status_code == 503 and not answer.get_json()["checks"]["database"]["ok"]
    assert answer.headers["X-Request-ID"]
