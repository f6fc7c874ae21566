"""A previous release's database, kept as data: every table's rows at that release's schema revision, in a
form that loads into SQLite and PostgreSQL alike, for the upgrade test (``tests/e2e/test_upgrade.py``).

``tests/fixtures/release_0006.json.gz`` was made by release 0006's own code (``python -m
tests.support.release_data make FILE``, which runs only while this release's schema is the one it records):
a database as that release left it, with applications in flight at every kind of wait -- service tasks
not yet run, a review unclaimed, one claimed, waits for messages, the parallel items part done -- and one
finished. :func:`load` builds the schema of that revision with the migrations and puts the rows back; an
upgrade to whatever the head is then has to carry them on.

Values are written as JSON: date-times as ISO text in UTC, bytes in base64; on loading, the reflected
column types of the schema at that revision say how to read them back.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, DateTime, LargeBinary, MetaData, func, select, text

from engine.persistence import migrations
from engine.persistence.database import make_engine

FORMAT = "onething-release-data"
SKIPPED = {"alembic_version"}


def _encode(value):
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def export(url: str) -> dict:
    """Every table's rows (the Alembic bookkeeping aside) and the schema revision."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine)
        with engine.connect() as connection:
            revision = migrations.current(connection)
            tables = {}
            for table in metadata.sorted_tables:
                if table.name in SKIPPED:
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(select(table).order_by(*order)).all()
                tables[table.name] = {
                    "columns": [c.name for c in table.columns],
                    "rows": [[_encode(v) for v in row] for row in rows],
                }
    finally:
        engine.dispose()
    return {"format": FORMAT, "revision": revision, "tables": tables}


def _decoder(column, dialect: str):
    kind = column.type
    if isinstance(kind, DateTime):

        def read(value):
            if value is None:
                return None
            moment = datetime.fromisoformat(value).astimezone(timezone.utc)
            return moment if dialect == "postgresql" else moment.replace(tzinfo=None)

        return read
    if isinstance(kind, LargeBinary):
        return lambda value: None if value is None else base64.b64decode(value)
    if isinstance(kind, JSON) or kind.__class__.__name__.upper() in ("JSON", "JSONB"):
        return lambda value: value
    return lambda value: value


def load(url: str, data: dict) -> None:
    """Make the schema of ``data``'s revision in the empty database of ``url`` and put its rows in."""
    assert data["format"] == FORMAT
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            migrations.upgrade(connection, data["revision"])
        metadata = MetaData()
        metadata.reflect(bind=engine)
        with engine.begin() as connection:
            dialect = connection.dialect.name
            for table in metadata.sorted_tables:
                if table.name in SKIPPED or table.name not in data["tables"]:
                    continue
                stored = data["tables"][table.name]
                decoders = [_decoder(table.columns[name], dialect) for name in stored["columns"]]
                rows = [
                    {name: decode(value) for name, decode, value in zip(stored["columns"], decoders, row, strict=True)}
                    for row in stored["rows"]
                ]
                if rows:
                    connection.execute(table.insert(), rows)
                if dialect == "postgresql":
                    _advance_sequences(connection, table)
    finally:
        engine.dispose()


def _advance_sequences(connection, table) -> None:
    """Rows inserted with their ids leave a serial column's sequence behind: move it past them."""
    for column in table.primary_key.columns:
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name})
        if sequence:
            last = connection.scalar(select(func.max(column)))
            if last is not None:
                connection.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": last})


def read(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


# --- making the fixture (with the release it records) ----------------------------------------------------


def make(path: Path) -> None:
    """Run applications to every kind of wait on this release's code and write the database as data."""
    import tempfile

    from api import create_app
    from engine.bootstrap import build_context, prepare
    from engine.clock import Clock
    from engine.usecases.accounts import add_user
    from engine.worker import Worker
    from handlers.newborn.samples import approval_for
    from tests.e2e.conftest import FIXED_NOW
    from tests.support.lifecycle import MESSAGES, accounts, application_for

    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/release.db"
        clock = Clock(FIXED_NOW - datetime.now(FIXED_NOW.tzinfo))
        ctx = build_context(url, clock=clock)
        prepare(ctx)
        users = {**accounts(), "admin": dict(roles=["admin"], groups=[], jurisdictions=["62"])}
        tokens = {name: add_user(ctx, name, **spec) for name, spec in users.items()}
        client = create_app({"TESTING": True, "SECRET_KEY": "release-data"}, context=ctx).test_client()
        worker = Worker(ctx, name="release-worker")

        def call(method, path, user, body=None):
            response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
            return response.status_code, response.get_json()

        def start(seq):
            status, body = call(
                "POST",
                "/api/process-definitions/newborn_birth/start",
                "portal",
                {"variables": {"application": application_for(seq, clock.now())}},
            )
            assert status == 201, body
            return body

        def state_of(instance):
            worker.run_until_idle()
            return call("GET", f"/api/process-instances/{instance['id']}", "portal")[1]

        def advance(instance, seq, actions, then_claim=False):
            """Complete ``actions`` reviews or messages (the worker running after each), then claim the next
            review if ``then_claim``; the state it is left in."""
            for _ in range(actions):
                state = state_of(instance)
                if state["state"] != "active":
                    return state
                if state["open_steps"]:
                    step = state["open_steps"][0]
                    assert call("POST", f"/api/tasks/{step['task_id']}/claim", step["group"])[0] == 200
                    status, task = call("GET", f"/api/tasks/{step['task_id']}", step["group"])
                    status, answer = call(
                        "POST",
                        f"/api/tasks/{step['task_id']}/complete",
                        step["group"],
                        {"variables": approval_for(task["form_key"], seq)},
                    )
                    assert status == 200, answer
                else:
                    name = state["waiting_for"][0]["message"]
                    status, answer = call(
                        "POST",
                        "/api/messages",
                        "portal",
                        {"name": name, "business_key": instance["business_key"], "variables": MESSAGES.get(name, {})},
                    )
                    assert status == 200, answer
            state = state_of(instance)
            if then_claim:
                step = state["open_steps"][0]
                assert call("POST", f"/api/tasks/{step['task_id']}/claim", step["group"])[0] == 200
            return state

        applications = []
        # (seq, reviews or messages done, then claim the next review); odd seqs come by the window (one
        # review more: the intake), even ones online
        plan = [(2, 0, False), (3, 0, True), (4, 2, False), (5, 1, True), (6, 3, False), (7, 2, False), (8, 99, False)]
        for seq, actions, then_claim in plan:
            instance = start(seq)
            state = advance(instance, seq, actions, then_claim)
            applications.append(
                {
                    "seq": seq,
                    "id": instance["id"],
                    "business_key": instance["business_key"],
                    "state": state["state"],
                    "claimed": then_claim,
                    "waiting": sorted(
                        [s["activity_id"] for s in state["open_steps"]] + [w["message"] for w in state["waiting_for"]]
                    ),
                }
            )
        pending = start(1)  # the last: its service tasks wait for a worker that has not run yet
        applications.insert(
            0,
            {
                "seq": 1,
                "id": pending["id"],
                "business_key": pending["business_key"],
                "state": "active",
                "claimed": False,
                "waiting": ["service tasks not yet run"],
            },
        )
        ctx.sessions.engine.dispose()
        data = export(url)
        if data["revision"] != migrations.head():
            raise SystemExit("the database is not at this release's head")
        data.update(made_at=clock.now().isoformat(), tokens=tokens, applications=applications)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
    for application in applications:
        print(application["seq"], application["state"], application["waiting"])


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "make":
        raise SystemExit("python -m tests.support.release_data make tests/fixtures/release_<revision>.json.gz")
    make(Path(sys.argv[2]))
