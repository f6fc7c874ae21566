"""The upgrade path (issue 25): the database the previous release left -- schema revision 0006 with
applications in flight at every kind of wait, ``tests/fixtures/release_0006.json.gz`` -- is upgraded by
``onething db upgrade`` to this release's head, whatever that is by now, and then the service (an API
process and a worker process) carries every application to its end; the finished one reads as before,
and every application's history goes on from where the old release left it. On SQLite, a migration that
rebuilds a table other rows refer to keeps them."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from engine.persistence import migrations
from engine.persistence.database import create_schema, make_engine
from tests.support import release_data
from tests.support.databases import empty_database, on_postgresql
from tests.support.http import Client
from tests.support.lifecycle import Outcome, carry
from tests.support.services import ROOT, onething, services

PREVIOUS = "0006"
FIXTURE = ROOT / "tests" / "fixtures" / f"release_{PREVIOUS}.json.gz"


def command(url: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        onething(*args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
    )


def history(url: str) -> dict[str, list[tuple]]:
    """Each application's history as (kind, activity, actor), in order."""
    from sqlalchemy import select

    from engine.persistence.database import make_engine
    from engine.persistence.models import HistoryEvent

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    HistoryEvent.instance_id, HistoryEvent.kind, HistoryEvent.activity_id, HistoryEvent.actor
                ).order_by(HistoryEvent.id)
            ).all()
    finally:
        engine.dispose()
    found: dict[str, list[tuple]] = {}
    for instance_id, *event in rows:
        found.setdefault(instance_id, []).append(tuple(event))
    return found


def test_the_previous_release_database_is_upgraded_and_every_application_finishes(tmp_path):
    data = release_data.read(FIXTURE)
    assert data["revision"] == PREVIOUS and migrations.known(PREVIOUS)
    applications = data["applications"]
    in_flight = [a for a in applications if a["state"] == "active"]
    assert len(in_flight) >= 6 and any(a["claimed"] for a in in_flight)
    env = {"ONETHING_CLOCK_START": data["made_at"]}  # the service clock goes on from where the release stopped

    with empty_database(tmp_path) as url:
        release_data.load(url, data)
        before = history(url)
        assert {a["id"] for a in applications} == set(before)

        current = command(url, "db", "current", env=env)
        assert PREVIOUS in current.stdout
        head = migrations.head()
        if head != PREVIOUS:  # the new release refuses the old schema until it is upgraded, and says how
            assert current.returncode == 1
            refused = command(url, "worker", env=env)
            assert refused.returncode == 2 and "onething db upgrade" in refused.stderr

        upgraded = command(url, "db", "upgrade", env=env)
        assert upgraded.returncode == 0, upgraded.stderr[-3000:]
        assert (
            f"upgraded from {PREVIOUS} to revision {head}" if head != PREVIOUS else f"already at revision {head}"
        ) in upgraded.stdout
        assert "alembic" not in upgraded.stdout + upgraded.stderr  # no migration chatter without -v
        assert command(url, "db", "current", env=env).returncode == 0

        with services(url, tmp_path / "logs", apis=1, workers=1, env=env) as running:
            tokens = data["tokens"]  # the portal's and the clerks' tokens of the old release still serve
            client = Client(running.urls[0])
            for finished in (a for a in applications if a["state"] == "completed"):
                status, body = client.get(f"/api/process-instances/{finished['id']}", tokens["portal"])
                assert status == 200 and body["state"] == "completed", body
            client.close()

            def finish(application: dict) -> Outcome:
                clients = [Client(running.urls[0])]
                try:
                    return carry(
                        clients,
                        tokens,
                        application["seq"],
                        Outcome(instance_id=application["id"], business_key=application["business_key"]),
                        deadline_s=150,
                    )
                finally:
                    clients[0].close()

            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                outcomes = list(pool.map(finish, in_flight, timeout=300))
            assert all(p.poll() is None for p in running.apis + running.workers), "a process died"

        assert [(o.business_key, o.state) for o in outcomes] == [(a["business_key"], "completed") for a in in_flight]
        after = history(url)
        for application in applications:
            old, new = before[application["id"]], after[application["id"]]
            assert new[: len(old)] == old, application["business_key"]  # the history goes on, nothing rewritten
            if application["state"] == "completed":
                assert new == old
            else:
                assert [e[0] for e in new[len(old) :]].count("instance_completed") == 1, application["business_key"]


@pytest.mark.skipif(on_postgresql(), reason="PostgreSQL alters a table in place; SQLite rebuilds it")
def test_a_migration_that_rebuilds_a_table_other_rows_refer_to_keeps_them(database_url, api, application, monkeypatch):
    """On SQLite a migration that changes a column rebuilds the table (Alembic's batch mode: copy, drop,
    rename). The applications' tasks, jobs and history refer to the instances table, so its drop must not
    be refused by the foreign keys (they are checked after the migration instead), and nothing is lost."""
    started = api.start(application, drain=False).get_json()
    engine = make_engine(database_url)
    head = migrations.head()
    with engine.begin() as connection:
        older = migrations.scripts().get_revision(head).down_revision
        migrations.stamp(connection, older)
        before = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("process_instances", "user_tasks", "jobs", "history_events")
        }
    assert before["jobs"] and before["history_events"]

    def rebuilding(connection, revision="head"):
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("process_instances", recreate="always") as batch:
            batch.alter_column("end_reason", existing_type=sa.Text(), nullable=True)
        migrations.stamp(connection, head)

    monkeypatch.setattr(migrations, "upgrade", rebuilding)
    try:
        assert create_schema(engine, upgrade=True).state == "outdated"
        with engine.connect() as connection:
            after = {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in before}
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforced again
    finally:
        engine.dispose()
    assert after == before
    assert api.get(f"/api/process-instances/{started['id']}", "portal").status_code == 200
