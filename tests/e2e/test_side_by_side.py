"""Side by side on PostgreSQL: two API processes and two worker processes on one database, ~20 full Gansu
applications driven over real HTTP through both API processes in turn. Every application completes, no
service task runs twice, and of two clerks racing to claim the same review through the two API processes
exactly one wins."""

from __future__ import annotations

import concurrent.futures
from collections import Counter

import pytest

from engine.bootstrap import build_context
from engine.usecases.accounts import add_user
from engine.usecases.deployments import deploy_bundled_if_empty
from tests.support.databases import on_postgresql
from tests.support.http import Client
from tests.support.lifecycle import accounts, drive
from tests.support.services import services

pytestmark = pytest.mark.skipif(
    not on_postgresql(),
    reason="needs PostgreSQL (several processes on one database): runs in make test's PostgreSQL pass",
)

APPLICATIONS = 20
THREADS = 5


def test_two_api_processes_and_two_workers_on_one_database(database_url, tmp_path, service_clock_pinned):
    ctx = build_context(database_url)
    deploy_bundled_if_empty(ctx)  # once, before the processes start
    tokens = {name: add_user(ctx, name, **spec) for name, spec in accounts().items()}
    now = ctx.clock.now()

    with services(database_url, tmp_path / "logs", apis=2, workers=2, threads=4) as running:

        def one(seq: int):
            clients = [Client(url) for url in running.urls[seq % 2 :] + running.urls[: seq % 2]]
            try:
                return drive(clients, tokens, seq, now, race=True, deadline_s=150)
            finally:
                for client in clients:
                    client.close()

        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(one, range(1, APPLICATIONS + 1), timeout=240))
        assert all(p.poll() is None for p in running.apis + running.workers), "a process died"

    assert [o.state for o in outcomes] == ["completed"] * APPLICATIONS
    races = [statuses for o in outcomes for statuses in o.races]
    assert len(races) >= 2 * APPLICATIONS  # every review of every application was raced
    assert all(sorted(statuses) == [200, 409] for statuses in races), races

    with ctx.uow() as uow:
        for outcome in outcomes:
            history = uow.history.for_instance(outcome.instance_id)
            ran = Counter(e.activity_id for e in history if e.kind == "service_task_completed")
            assert ran and set(ran.values()) == {1}, (outcome.business_key, ran)
            claimed = Counter(e.detail.get("task_id") or e.activity_id for e in history if e.kind == "task_claimed")
            assert set(claimed.values()) == {1}, (outcome.business_key, claimed)
            assert uow.jobs.for_instance(outcome.instance_id) == []
        series = f"service_center.acceptance.{now:%Y%m%d}"
        assert uow.ledger.next_number(series) == APPLICATIONS + 1  # one acceptance each: none doubled
