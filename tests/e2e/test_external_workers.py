"""Department systems as Camunda 7 external-task workers written with the stock clients (issue 23), each a
process of its own against real ``onething serve`` and ``onething worker`` processes, on SQLite and on
PostgreSQL: the police's with npm ``camunda-external-task-client-js`` 3.1.0
(``tests/external_workers/police_worker.mjs``), the medical-insurance bureau's with PyPI
``camunda-external-task-client-python3`` 4.5.0 (``…/medical_insurance_worker.py``). Two of each carry 50 full
Gansu applications to the end, none lost and none done twice; a worker that fails three times leaves an incident
an admin retries; a BPMN error goes back to the police clerk; a worker killed holding a lock loses it when it
expires and another finishes the step, registering the birth once; a police worker cannot fetch a medical
insurance topic; a long poll with nothing to do waits, costing no CPU, and is answered as soon as work comes
(the delay is printed, never asserted beyond a generous bound); one whose client went locks nothing.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from engine.bootstrap import build_context
from engine.usecases.accounts import add_user
from handlers.newborn.samples import approval_for
from tests.support.http import Client
from tests.support.lifecycle import accounts, carry, drive
from tests.support.services import ROOT, process, services

WORKERS = ROOT / "tests" / "external_workers"
EXTERNAL = {"ONETHING_EXTERNAL_TOPICS": "police.*,medical_insurance.*"}
PASSWORD = "department system password"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None or not (WORKERS / "node_modules").is_dir(),
                                reason="needs Node and `make node` (npm ci in tests/external_workers)")


def worker_accounts(ctx) -> dict[str, str]:
    """A police worker and a medical-insurance worker (tokens; the same names sign in with PASSWORD)."""
    return {name: add_user(ctx, name, ["worker"], [group], ["62"], password=PASSWORD)
            for name, group in (("police-system", "police"), ("mi-system", "medical_insurance"))}


@contextmanager
def police_worker(database_url: str, url: str, logs: Path, name: str, store: Path, **env):
    with process([NODE, str(WORKERS / "police_worker.mjs")], database_url, logs / f"{name}.log",
                 {"ENGINE_REST": f"{url}/engine-rest", "WORKER_ID": name, "DEPARTMENT_DIR": str(store),
                  **env}) as child:
        yield child


@contextmanager
def insurance_worker(database_url: str, url: str, logs: Path, name: str, store: Path, **env):
    with process([sys.executable, str(WORKERS / "medical_insurance_worker.py")], database_url,
                 logs / f"{name}.log", {"ENGINE_REST": f"{url}/engine-rest", "WORKER_ID": name,
                                         "DEPARTMENT_DIR": str(store), **env}) as child:
        yield child


def lines(logs: Path, word: str) -> list[str]:
    """The step keys of every ``<time> <worker> <word> <key>`` line the workers wrote."""
    found = []
    for log in logs.glob("*.log"):
        for line in log.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[2] == word:
                found.append(parts[3])
    return found


def wait_for(predicate, timeout: float, what: str, poll: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(poll)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def completed_steps(ctx, instance_id: str) -> Counter:
    """How many times each service task of the application was completed."""
    with ctx.reader() as uow:
        return Counter(e.activity_id for e in uow.history.for_instance(instance_id)
                       if e.kind == "service_task_completed")


APPLICATIONS = 50
THREADS = 6


def test_two_stock_workers_per_topic_carry_50_gansu_applications(database_url, tmp_path, service_clock_pinned):
    ctx = build_context(database_url)
    tokens = {name: add_user(ctx, name, **spec) for name, spec in accounts().items()}
    systems = worker_accounts(ctx)
    now = ctx.clock.now()
    logs, police_store, insurance_store = tmp_path / "logs", tmp_path / "police", tmp_path / "insurance"
    police_store.mkdir()
    insurance_store.mkdir()
    started = time.monotonic()
    with services(database_url, logs, apis=1, workers=1, threads=16, env=EXTERNAL) as running, ExitStack() as stack:
        url = running.urls[0]
        for n in (1, 2):
            stack.enter_context(police_worker(database_url, url, logs, f"police-{n}", police_store,
                                              TOKEN=systems["police-system"]))
            stack.enter_context(insurance_worker(database_url, url, logs, f"insurance-{n}", insurance_store,
                                                 TOKEN=systems["mi-system"]))

        def one(seq: int):
            client = Client(url)
            try:
                return drive([client], tokens, seq, now, deadline_s=240)
            finally:
                client.close()

        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(one, range(1, APPLICATIONS + 1), timeout=300))
        assert all(p.poll() is None for p in running.apis + running.workers), "a process died"
    print(f"\n{APPLICATIONS} applications with two external workers per topic: "
          f"{time.monotonic() - started:.1f} s", flush=True)

    assert [o.state for o in outcomes] == ["completed"] * APPLICATIONS
    for outcome in outcomes:
        ran = completed_steps(ctx, outcome.instance_id)
        assert ran["register_hukou"] == ran["enrol_medical_insurance"] == ran["confirm_medical_insurance"] == 1
        assert set(ran.values()) == {1}, (outcome.business_key, ran)
    registered = lines(logs, "registered")
    assert len(registered) == len(set(registered)) == APPLICATIONS  # one registration per birth
    assert len(list(police_store.glob("*.json"))) == APPLICATIONS
    enrolled = lines(logs, "enrolled")
    assert len(enrolled) == len(set(enrolled)) == 2 * APPLICATIONS  # an enrolment and a maternity claim each
    completed_by = Counter(line.split()[1] for log in logs.glob("police-*.log")
                           for line in log.read_text().splitlines() if " completed " in line)
    assert set(completed_by) == {"police-1", "police-2"}, completed_by  # both workers took work
    with ctx.reader() as uow:
        assert uow.jobs.incidents(0, 10)[1] == 0
        for outcome in outcomes:
            assert uow.jobs.for_instance(outcome.instance_id) == []
