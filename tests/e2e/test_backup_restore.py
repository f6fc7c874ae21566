"""Backups (issue 25): ``onething db backup`` taken while the service runs -- an API process and a worker
process, applications in flight, materials uploaded -- and ``onething db restore`` into an empty database
(SQLite; PostgreSQL in the suite's second pass, with pg_dump / pg_restore) give the same applications,
tasks, history and materials; a backup taken while applications move is one consistent moment, and the
service started on its restore carries every application to its end. A restore refuses a database that
holds tables, a damaged archive and one of the other kind of database, before it changes anything; what
the commands print names no person."""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import io
import os
import subprocess
import tarfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select

from engine.backup import BackupError, restore
from engine.bootstrap import build_context
from engine.persistence.database import make_engine
from engine.persistence.models import Base, Job
from engine.usecases.accounts import add_user
from handlers.newborn.samples import sample_application
from tests.sample_files import pdf, png
from tests.support.databases import empty_database
from tests.support.http import Client
from tests.support.lifecycle import Outcome, accounts, application_for, carry, drive
from tests.support.services import ROOT, onething, services


def command(url: str, materials: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        onething(*args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DATABASE_URL": url, "MATERIALS_DIR": str(materials), "PYTHONPATH": str(ROOT)},
    )


def snapshot(url: str) -> dict[str, list]:
    """Every table's rows, in key order, read through the models (UTC date-times, parsed JSON)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: [
                    dict(row._mapping)
                    for row in connection.execute(select(table).order_by(*table.primary_key.columns)).all()
                ]
                for name, table in Base.metadata.tables.items()
            }
    finally:
        engine.dispose()


def by_id(rows: list[dict]) -> dict:
    return {row["id"]: row for row in rows}


def histories(rows: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(row["instance_id"], []).append(row)
    return found


def count(url: str, statement) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(statement)
    finally:
        engine.dispose()


def wait_for_the_worker(url: str, timeout: float = 120) -> None:
    """Until no service task waits for the worker (timers wait for their moment)."""
    deadline = time.monotonic() + timeout
    while count(url, select(func.count()).select_from(Job).where(Job.kind == "service_task")):
        assert time.monotonic() < deadline, "the worker did not run the service tasks"
        time.sleep(0.1)


def put_material(base_url: str, token: str, instance_id: str, code: str, content: bytes, filename: str) -> int:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "PUT",
        f"/api/process-instances/{instance_id}/materials/{code}?filename={quote(filename)}",
        body=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )
    status = connection.getresponse().status
    connection.close()
    return status


def personal_values(seqs, now) -> set[str]:
    values = set()
    for seq in seqs:
        application = application_for(seq, now)
        for person in (application["mother"], application["father"]):
            values |= {person["id_number"], person["phone"], person["name"]}
        values.add(application["delivery"]["recipient_address"])
    return values


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if not p.name.startswith(".")}


def test_a_backup_taken_mid_run_restores_into_an_empty_database(database_url, tmp_path, service_clock_pinned):
    ctx = build_context(database_url)
    tokens = {name: add_user(ctx, name, **spec) for name, spec in accounts().items()}
    now = ctx.clock.now()
    materials = tmp_path / "materials"
    quiet_archive, busy_archive = tmp_path / "quiet.tar", tmp_path / "busy.tar"

    with services(database_url, tmp_path / "logs", env={"MATERIALS_DIR": str(materials)}) as running:
        base = running.urls[0]
        client = Client(base)
        # applications in flight: started, reviewed part of the way, with materials (one replaced)
        in_flight = [drive([client], tokens, seq, now, actions=seq - 1) for seq in range(1, 6)]
        uploads = {1: pdf("结婚证 1"), 2: png(2, 3), 3: pdf("结婚证 3")}
        for seq, content in uploads.items():
            instance_id = in_flight[seq - 1].instance_id
            assert (
                put_material(base, tokens["portal"], instance_id, "marriage_certificate", content, "王芳的结婚证.pdf")
                == 201
            )
        assert (
            put_material(
                base,
                tokens["portal"],
                in_flight[0].instance_id,
                "marriage_certificate",
                pdf("结婚证 1, 第二版"),
                "王芳的结婚证.pdf",
            )
            == 200
        )
        wait_for_the_worker(database_url)

        # 1. the worker running, no request under way: the backup is the database as it is
        made = command(database_url, materials, "db", "backup", str(quiet_archive))
        assert made.returncode == 0, made.stderr[-3000:]
        printed = [made]
        expected, expected_files = snapshot(database_url), files_of(materials)

        # 2. applications moving while it is taken: each one step on (a review or a message, and the service
        # tasks after it), two new ones started; those not at their end yet stay under way
        before = set(by_id(expected["process_instances"]))
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            backing_up = pool.submit(command, database_url, materials, "db", "backup", str(busy_archive))
            moving = [
                pool.submit(carry, [Client(base)], tokens, seq, outcome, actions=1)
                for seq, outcome in enumerate(in_flight, 1)
            ]
            moving += [pool.submit(drive, [Client(base)], tokens, seq, now, actions=1) for seq in (6, 7)]
            moved = [future.result(timeout=300) for future in moving]
            made = backing_up.result(timeout=300)
        assert made.returncode == 0, made.stderr[-3000:]
        printed.append(made)
        wait_for_the_worker(database_url)
        source = snapshot(database_url)

    assert oct(quiet_archive.stat().st_mode & 0o777) == "0o600"  # personal data: its owner's only
    with tarfile.open(quiet_archive) as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json" and len([n for n in names if n.startswith("materials/")]) == 4

    # the quiet backup restored: the same rows, table by table, and the same files
    with empty_database(tmp_path / "quiet") as url:
        restored_materials = tmp_path / "quiet-materials"
        done = command(url, restored_materials, "db", "restore", str(quiet_archive))
        assert done.returncode == 0, done.stderr[-3000:]
        printed.append(done)
        assert snapshot(url) == expected
        assert files_of(restored_materials) == expected_files
        assert {hashlib.sha256(content).hexdigest() for content in uploads.values()} <= set(expected_files)

    # the busy backup restored: one moment of the running service, which the restored service carries on
    with empty_database(tmp_path / "busy") as url:
        restored_materials = tmp_path / "busy-materials"
        done = command(url, restored_materials, "db", "restore", str(busy_archive))
        assert done.returncode == 0, done.stderr[-3000:]
        printed.append(done)
        restored = snapshot(url)
        instances = by_id(restored["process_instances"])
        assert before <= set(instances) <= set(by_id(source["process_instances"]))
        then, later = histories(restored["history_events"]), histories(source["history_events"])
        for instance_id in instances:  # each application's history up to one moment, nothing half-written
            assert later[instance_id][: len(then[instance_id])] == then[instance_id]
        source_tasks = by_id(source["user_tasks"])
        for task in restored["user_tasks"]:
            if task["completed_at"] is not None:  # completed then: the same now
                assert task == source_tasks[task["id"]]
        assert all(row in source["materials"] for row in restored["materials"])
        assert files_of(restored_materials) == files_of(materials)

        active = [
            (seq, o)
            for seq, o in enumerate(moved, 1)
            if o.instance_id in instances and instances[o.instance_id]["state"] == "active"
        ]
        assert {seq for seq, _ in active} >= {1, 2, 3}  # under way when the backup began, and when it ended
        with services(url, tmp_path / "restored-logs", env={"MATERIALS_DIR": str(restored_materials)}) as running:
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                carried = list(
                    pool.map(
                        lambda item: carry(
                            [Client(running.urls[0])],
                            tokens,
                            item[0],
                            Outcome(instance_id=item[1].instance_id, business_key=item[1].business_key),
                            deadline_s=150,
                        ),
                        active,
                        timeout=300,
                    )
                )
        assert [o.state for o in carried] == ["completed"] * len(active)

    said = "".join(done.stdout + done.stderr for done in printed)
    assert "backup: written" in said and "restore: done" in said
    assert not [value for value in personal_values(range(1, 8), now) | {"王芳的结婚证"} if value in said]


def test_a_restore_refuses_what_it_must_not_restore_and_changes_nothing(
    database_url, tmp_path, api, app, application, clock
):
    materials = tmp_path / "materials"
    app.config["MATERIALS_DIR"] = str(materials)
    started = api.start(application).get_json()
    content = pdf("出生医学证明")
    response = api.call(
        "PUT", f"/api/process-instances/{started['id']}/materials/marriage_certificate", "portal", data=content
    )
    assert response.status_code == 201
    archive = tmp_path / "backup.tar"
    made = command(database_url, materials, "db", "backup", str(archive))
    assert made.returncode == 0, made.stderr
    again = command(database_url, materials, "db", "backup", str(archive))
    assert again.returncode == 1 and "exists already" in again.stderr  # never overwrites a backup

    # into a database that holds tables: refused, unless forced
    before = snapshot(database_url)
    refused = command(database_url, materials, "db", "restore", str(archive))
    assert refused.returncode == 1 and "not empty" in refused.stderr and "--force" in refused.stderr
    assert snapshot(database_url) == before

    # a damaged material: refused before anything changes
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("materials/"):
                data = data.replace(b"%%EOF", b"%%EOX")
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with empty_database(tmp_path / "empty") as url:
        elsewhere = tmp_path / "elsewhere"
        refused = command(url, elsewhere, "db", "restore", str(damaged))
        assert refused.returncode == 1 and "damaged" in refused.stderr, refused.stderr
        assert snapshot_is_empty(url) and not [p for p in elsewhere.rglob("*") if p.is_file()]

        # not an archive at all; one cut short
        junk = tmp_path / "junk.tar"
        junk.write_bytes(b"not a tar file")
        refused = command(url, elsewhere, "db", "restore", str(junk))
        assert refused.returncode == 1 and "not an onething backup" in refused.stderr
        cut = tmp_path / "cut.tar"
        cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
        refused = command(url, elsewhere, "db", "restore", str(cut))
        assert refused.returncode == 1 and "damaged" in refused.stderr and "Traceback" not in refused.stderr
        assert snapshot_is_empty(url) and not [p for p in elsewhere.rglob("*") if p.is_file()]

        # forced into the database that holds tables: what it held is replaced by the backup
        assert api.start(sample_application(clock.now(), seq=2)).status_code == 201
        forced = command(database_url, materials, "db", "restore", "--force", str(archive))
        assert forced.returncode == 0, forced.stderr
        assert snapshot(database_url) == before

    # a database that cannot be reached: said in a line, without a password
    unreachable = "postgresql+psycopg://onething:s3cret@127.0.0.1:9/onething"
    attempts = [("db", "backup", str(tmp_path / "never.tar"))]
    if database_url.startswith("postgresql"):  # a SQLite archive is refused for PostgreSQL before connecting
        attempts.append(("db", "restore", str(archive)))
    for args in attempts:
        refused = command(unreachable, materials, *args)
        assert (
            refused.returncode == 1 and "cannot read the PostgreSQL database onething on 127.0.0.1:9" in refused.stderr
        )
        assert "s3cret" not in refused.stdout + refused.stderr and "Traceback" not in refused.stderr

    # another kind of database than the backup's: said before anything is read or written
    other = "postgresql+psycopg://nobody@127.0.0.1:9/none" if "sqlite" in database_url else "sqlite:///x.db"
    with pytest.raises(BackupError, match="restore it into a"):
        restore(other, tmp_path / "nowhere", archive, progress=lambda line: None)


def snapshot_is_empty(url: str) -> bool:
    from engine.persistence.dump import contents

    return contents(url).empty


def test_a_material_damaged_on_disk_is_left_out_and_said(database_url, tmp_path, api, app, application):
    """The backup goes on without it and exits 1 naming its hash; the restore says the database records a
    file it has not got, and exits 1 too -- the rest restored."""
    materials = tmp_path / "materials"
    app.config["MATERIALS_DIR"] = str(materials)
    started = api.start(application).get_json()
    for code, content in (("marriage_certificate", pdf("结婚证")), ("parent_id_cards", png(3, 3))):
        assert (
            api.call(
                "PUT", f"/api/process-instances/{started['id']}/materials/{code}", "portal", data=content
            ).status_code
            == 201
        )
    damaged = hashlib.sha256(png(3, 3)).hexdigest()
    (materials / damaged).write_bytes(png(3, 4))  # the disk changed it under the service
    archive = tmp_path / "backup.tar"
    made = command(database_url, materials, "db", "backup", str(archive))
    assert made.returncode == 1 and f"{damaged[:12]}… no longer matches its hash" in made.stderr
    with tarfile.open(archive) as tar:
        assert [n for n in tar.getnames() if n.startswith("materials/")] == [
            f"materials/{hashlib.sha256(pdf('结婚证')).hexdigest()}"
        ]
    with empty_database(tmp_path) as url:
        done = command(url, tmp_path / "restored", "db", "restore", str(archive))
        assert done.returncode == 1 and "1 material file(s) the database records are not in" in done.stderr
        assert "restore: done: 1 application(s), 1 active" in done.stdout
