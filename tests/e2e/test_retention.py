"""Retention of finished applications (issue 25, "Retention"; PIPL Art. 19): on applications aged by the
service clock, a run archives and erases what the newborn service's policy says -- and nothing else: a
running application and one under a legal hold stay as they are; the dry run lists what it would touch and
changes nothing; an archived application's workflow state is a few KB; an erased one keeps its history with
the actors and no personal value anywhere in the database; its materials' files are gone; every run and
every change is recorded. ``onething retention run --dry-run`` / ``hold`` / ``release`` do the same from
the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine.cli import main
from engine.clock import CLOCK_START_VARIABLE
from engine.materials import MaterialStore
from engine.persistence.models import Base
from engine.usecases import retention
from engine.worker import Worker
from handlers.newborn.samples import sample_application
from handlers.newborn.service import RETENTION
from tests.e2e.conftest import CLERK_OF
from tests.sample_files import jpeg

ARCHIVE, ERASE = RETENTION.archive_after_days, RETENTION.erase_after_days


def personal(application: dict, n: int) -> dict:
    """The application with names, phones and addresses of its own (so that one application's values are
    found only where it put them)."""
    surnames, numerals = "赵钱孙李周吴郑王冯陈", "零一二三四五六七八九"
    for who, person in (("母", application["mother"]), ("父", application["father"])):
        person["name"] = f"{surnames[n]}{who}{numerals[n]}娘" if who == "母" else f"{surnames[n]}{numerals[n]}郎"
        person["phone"] = f"139{n:04d}{'1' if who == '母' else '2'}234"
        person["hukou_address"] = person["current_address"] = f"甘肃省兰州市城关区第{n}街{who}巷{n}号"
    application["hukou"]["householder_name"] = application["father"]["name"]
    application["delivery"].update(
        recipient_name=application["father"]["name"],
        recipient_phone=application["father"]["phone"],
        recipient_address=f"甘肃省兰州市安宁区收件路{n}号",
    )
    application["applicant"].update(name=application["father"]["name"], phone=application["father"]["phone"])
    application["newborn"]["given_name"] = f"{numerals[n]}宝"
    application["marriage"]["certificate_number"] = f"J620102-2020-{n:06d}"
    return application


def secrets_of(application: dict) -> set[str]:
    mother, father, delivery = application["mother"], application["father"], application["delivery"]
    return {
        mother["id_number"],
        father["id_number"],
        mother["phone"],
        father["phone"],
        mother["name"],
        father["name"],
        mother["hukou_address"],
        father["hukou_address"],
        delivery["recipient_address"],
        application["newborn"]["given_name"],
        application["marriage"]["certificate_number"],
    }


def database_text(ctx) -> str:
    """Every row of every table, as text."""
    with ctx.reader() as uow:
        rows = []
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in uow.session.execute(select(table))]
        return "\n".join(rows)


def row_of(ctx, instance_id: str) -> SimpleNamespace:
    """The instance's row as it is now (its columns' values)."""
    with ctx.reader() as uow:
        row = uow.instances.get(instance_id)
        return SimpleNamespace(**{column.key: getattr(row, column.key) for column in row.__table__.columns})


def start(api, clock, n: int, finish: str | None = "complete"):
    application = personal(sample_application(clock.now(), seq=n, channel="window"), n)
    started = api.start(application)
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    name = application["mother"]["name"]
    upload = api.call(
        "PUT",
        f"/api/process-instances/{body['id']}/materials/parent_id_cards",
        "portal",
        data=jpeg(name.encode()),
        query_string={"filename": f"{name}身份证.jpg"},
    )
    assert upload.status_code == 201
    if finish == "complete":
        api.walk_to_end(body["id"])
    elif finish == "return":  # the police clerk returns it with a reason naming the mother's phone
        while (step := api.open_steps(body["id"])[0])["activity_id"] != "hukou_review":
            assert api.approve(step["task_id"], CLERK_OF[step["group"]]).status_code == 200
        reason = f"母亲{application['mother']['name']}电话{application['mother']['phone']}无法接通，请核对"
        done = api.post(
            f"/api/tasks/{step['task_id']}/complete",
            "police",
            json={"variables": {"decision": "return", "reason": reason}},
        )
        assert done.status_code == 200, done.get_json()
    return body, application


@pytest.fixture
def store(app, tmp_path):
    app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    return MaterialStore(tmp_path / "materials")


def dump_rows(ctx) -> list[str]:
    with ctx.reader() as uow:
        return [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in uow.session.execute(select(table).order_by(*table.primary_key.columns))
        ]


def test_a_run_archives_and_erases_what_the_policy_says_and_nothing_else(api, ctx, clock, store):
    completed, completed_app = start(api, clock, 1)
    returned, returned_app = start(api, clock, 2, finish="return")
    held, held_app = start(api, clock, 3)
    running, running_app = start(api, clock, 4, finish=None)
    assert (
        api.call(
            "PUT",
            f"/api/process-instances/{held['id']}/legal-hold",
            "admin",
            json={"hold": True, "reason": "行政复议案件审理中"},
        ).status_code
        == 200
    )
    assert (
        api.call("PUT", f"/api/process-instances/{held['id']}/legal-hold", "admin", json={"hold": True}).status_code
        == 422
    )  # a hold needs a reason
    citizen_id = row_of(ctx, completed["id"]).summary["items"][2]["result"]["citizen_id_number"]
    state_before = len(row_of(ctx, completed["id"]).workflow_state)
    assert state_before > 10_000

    clock.advance(timedelta(days=ARCHIVE - 1))  # not yet
    assert retention.run(ctx, by="test", store=store, dry_run=True).touched == []

    clock.advance(timedelta(days=2))  # past the archive days: the dry run lists, and changes nothing
    before = dump_rows(ctx)
    listed = retention.run(ctx, by="test", store=store, dry_run=True)
    assert {(t.business_key, t.actions) for t in listed.touched} == {
        (completed["business_key"], ("archive",)),
        (returned["business_key"], ("archive",)),
    }
    assert dump_rows(ctx) == before

    report = retention.run(ctx, by="test", store=store)
    assert {(t.business_key, t.actions) for t in report.touched} == {
        (completed["business_key"], ("archive",)),
        (returned["business_key"], ("archive",)),
    }
    archived = row_of(ctx, completed["id"])
    assert archived.workflow_state == "" and archived.archived_at is not None and archived.erased_at is None
    assert set(archived.archive["data"]) <= RETENTION.kept_data and "application" not in archived.archive["data"]
    state_after = len(archived.workflow_state) + len(json.dumps(archived.archive, ensure_ascii=False))
    assert state_after < 8_000, state_after  # a few KB, from about 70
    for untouched in (held, running):
        assert row_of(ctx, untouched["id"]).workflow_state and row_of(ctx, untouched["id"]).archived_at is None
    # the archived application still shows: its view, its history, its diagram with the steps done
    view = api.get(f"/api/process-instances/{completed['id']}", "supervisor").get_json()
    assert view["state"] == "completed" and view["business_key"] == completed["business_key"]
    diagram = api.get(f"/api/process-instances/{completed['id']}/diagram.svg", "supervisor")
    assert diagram.status_code == 200 and b"done" in diagram.data
    assert retention.run(ctx, by="test", store=store).touched == []  # nothing twice

    found = api.get(f"/api/search?q={completed_app['mother']['id_number']}", "supervisor")
    assert completed["business_key"] in found.get_data(as_text=True)  # archived, still found by an ID number

    clock.advance(timedelta(days=ERASE - ARCHIVE))  # past the erase days
    files = {row.name for row in (store.directory.iterdir())}
    report = retention.run(ctx, by="test", store=store)
    assert {(t.business_key, t.actions) for t in report.touched} == {
        (completed["business_key"], ("erase",)),
        (returned["business_key"], ("erase",)),
    }
    everything = database_text(ctx)
    for erased, application in ((completed, completed_app), (returned, returned_app)):
        leaks = {secret for secret in secrets_of(application) | {citizen_id} if secret in everything}
        assert leaks == set(), (erased["business_key"], leaks)
        row = row_of(ctx, erased["id"])
        assert row.erased_at is not None and row.subject_key is None and row.archive["personal_values"] == []
        assert row.applicant_name is None and row.subject_name is None
        # nobody finds it any more by what people know of it (the keyed digests of its ID numbers, phones)
        found = api.get(f"/api/search?q={application['mother']['id_number']}", "supervisor")
        assert found.status_code == 200 and erased["business_key"] not in found.get_data(as_text=True)
    # what stays: the held and the running application whole, the history with its actors, the references
    assert secrets_of(held_app) <= {s for s in secrets_of(held_app) if s in everything}
    assert secrets_of(running_app) <= {s for s in secrets_of(running_app) if s in everything}
    history = api.get(f"/api/process-instances/{returned['id']}/history?per_page=200", "supervisor").get_json()
    kinds = [(e["kind"], e["actor"]) for e in history["items"]]
    assert ("task_completed", "police") in kinds and ("task_completed", "midwifery") in kinds
    assert ("instance_archived", "test") in kinds and ("personal_data_erased", "test") in kinds
    returned_at = next(e for e in history["items"] if e["kind"] == "instance_returned")
    assert returned_at["reason"].startswith("母亲***电话***无法接通")
    summary = row_of(ctx, completed["id"]).summary
    assert summary["items"][0]["result"]["certificate_number"]  # a department's reference stays
    assert summary["items"][2]["result"]["citizen_id_number"] is None
    # the materials' files of the erased applications are gone, the others' kept; reading one says why
    left = {row.name for row in store.directory.iterdir()}
    assert len(files - left) == 2 and len(left) == 2
    gone = api.get(f"/api/process-instances/{completed['id']}/materials/parent_id_cards/content", "service_center")
    assert gone.status_code == 404 and "erased" in gone.get_json()["detail"]
    with ctx.reader() as uow:
        runs = uow.session.execute(select(Base.metadata.tables["retention_runs"])).all()
    assert [(run.archived, run.erased, run.by) for run in runs] == [(2, 0, "test"), (0, 0, "test"), (0, 2, "test")]
    assert {entry["business_key"] for entry in runs[2].detail} == {completed["business_key"], returned["business_key"]}

    # the hold released: the next run archives and erases it at once; the running one never
    assert (
        api.call(
            "PUT",
            f"/api/process-instances/{held['id']}/legal-hold",
            "admin",
            json={"hold": False, "reason": "复议结束"},
        ).status_code
        == 200
    )
    report = retention.run(ctx, by="test", store=store)
    assert [(t.business_key, t.actions) for t in report.touched] == [(held["business_key"], ("archive", "erase"))]
    assert row_of(ctx, running["id"]).workflow_state and row_of(ctx, running["id"]).state == "active"


def test_a_legal_hold_is_for_admins_and_recorded(api, clock, store):
    body, _ = start(api, clock, 5)
    path = f"/api/process-instances/{body['id']}/legal-hold"
    assert api.call("PUT", path, "supervisor", json={"hold": True, "reason": "x"}).status_code == 403
    assert api.call("PUT", path, "portal", json={"hold": True, "reason": "x"}).status_code == 403
    assert api.call("PUT", path, "admin", json={"hold": "maybe"}).status_code == 422
    assert (
        api.call(
            "PUT", "/api/process-instances/nope/legal-hold", "admin", json={"hold": True, "reason": "x"}
        ).status_code
        == 404
    )
    set_ = api.call("PUT", path, "admin", json={"hold": True, "reason": "法院调取证据"})
    assert set_.status_code == 200 and set_.get_json()["legal_hold"] is True
    assert api.get(path, "admin").get_json()["legal_hold"] is True
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    assert [(e["actor"], e["reason"]) for e in history["items"] if e["kind"] == "legal_hold_set"] == [
        ("admin", "法院调取证据")
    ]
    policies = api.get("/api/retention/policies", "admin").get_json()
    assert {p["service"]: (p["archive_after_days"], p["erase_after_days"]) for p in policies}["newborn"] == (
        ARCHIVE,
        ERASE,
    )


def test_the_command_line_lists_holds_and_runs(api, ctx, clock, store, database_url, monkeypatch, capsys):
    completed, _ = start(api, clock, 6)
    held, _ = start(api, clock, 7)
    clock.advance(timedelta(days=ARCHIVE + 1))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MATERIALS_DIR", str(store.directory))
    monkeypatch.setenv(CLOCK_START_VARIABLE, clock.now().isoformat())

    assert main(["retention", "hold", held["business_key"], "--reason", "信访处理中", "--by", "ops-1"]) == 0
    assert "under a legal hold" in capsys.readouterr().out
    before = dump_rows(ctx)
    assert main(["retention", "run", "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert f"{completed['business_key']}  newborn  completed" in said and "would archive" in said
    assert held["business_key"] not in said and "nothing changed" in said
    assert dump_rows(ctx) == before
    assert main(["retention", "run", "--by", "ops-1"]) == 0
    assert "archived" in capsys.readouterr().out
    assert row_of(ctx, completed["id"]).archived_at is not None and row_of(ctx, held["id"]).archived_at is None
    assert main(["retention", "release", held["business_key"], "--by", "ops-1"]) == 0
    assert main(["retention", "hold", "NB-none", "--reason", "x"]) == 2
    monkeypatch.setenv("ONETHING_RETENTION", f"newborn:archive=0,erase={ARCHIVE + 1}")
    assert main(["retention", "policy"]) == 0
    assert f"archive after 0 day(s), erase personal values after {ARCHIVE + 1} day(s)" in capsys.readouterr().out
    assert main(["retention", "run"]) == 0  # the overridden days: both erased now, the held one archived too
    assert row_of(ctx, held["id"]).erased_at is not None and row_of(ctx, completed["id"]).erased_at is not None


def test_the_workers_run_it_once_a_day(api, ctx, clock, store, monkeypatch):
    monkeypatch.setenv("MATERIALS_DIR", str(store.directory))
    completed, _ = start(api, clock, 8)
    clock.advance(timedelta(days=ARCHIVE + 1))
    worker = Worker(ctx, name="daily")
    assert worker.retention_round() == 1 and row_of(ctx, completed["id"]).archived_at is not None
    worker._retention_checked = float("-inf")  # it looks again within the hour: the day is not over
    assert worker.retention_round() == 0
    clock.advance(timedelta(days=1))
    other = Worker(ctx, name="another")  # any worker: the last run recorded says when it is due
    assert retention.due(ctx) and other.retention_round() == 0 and not retention.due(ctx)
    with ctx.reader() as uow:
        assert [run.by for run in uow.session.execute(select(Base.metadata.tables["retention_runs"])).all()] == [
            "worker daily",
            "worker another",
        ]


def test_the_workers_go_through_a_backlog_a_batch_a_round(api, ctx, clock, store, monkeypatch):
    monkeypatch.setenv("MATERIALS_DIR", str(store.directory))
    monkeypatch.setattr("engine.worker.RETENTION_BATCH", 2)
    finished = [start(api, clock, n)[0] for n in (1, 2, 3)]
    clock.advance(timedelta(days=ARCHIVE + 1))
    worker = Worker(ctx, name="backlog")
    assert worker.retention_round() == 2  # a batch, then the worker's jobs
    assert worker.retention_round() == 1  # the rest at the next round, not the next day
    assert worker.retention_round() == 0
    assert all(row_of(ctx, body["id"]).archived_at is not None for body in finished)
