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
import json
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from engine.bootstrap import build_context
from engine.usecases.accounts import add_user
from handlers.newborn.samples import approval_for
from tests.support.http import Client
from tests.support.lifecycle import Outcome, accounts, application_for, carry, drive
from tests.support.services import ROOT, process, services, stop

WORKERS = ROOT / "tests" / "external_workers"
EXTERNAL = {"ONETHING_EXTERNAL_TOPICS": "police.*,medical_insurance.*"}
PASSWORD = "department system password"
NODE = shutil.which("node")


@pytest.fixture(autouse=True)
def npm_client_installed():
    """The npm client is installed by `make node` (npm ci in tests/external_workers): without it these tests
    are skipped here and fail in CI, as the Modeler check does."""
    if NODE is not None and (WORKERS / "node_modules" / "camunda-external-task-client-js").is_dir():
        return
    reason = "needs Node and `make node` (npm ci --prefix tests/external_workers)"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(reason + " -- CI must install it before pytest", pytrace=False)
    pytest.skip(reason)


def worker_accounts(ctx) -> dict[str, str]:
    """A police worker and a medical-insurance worker (tokens; the same names sign in with PASSWORD)."""
    return {
        name: add_user(ctx, name, ["worker"], [group], ["62"], password=PASSWORD)
        for name, group in (("police-system", "police"), ("mi-system", "medical_insurance"))
    }


@contextmanager
def police_worker(database_url: str, url: str, logs: Path, name: str, store: Path, **env):
    with process(
        [NODE, str(WORKERS / "police_worker.mjs")],
        database_url,
        logs / f"{name}.log",
        {"ENGINE_REST": f"{url}/engine-rest", "WORKER_ID": name, "DEPARTMENT_DIR": str(store), **env},
    ) as child:
        yield child


@contextmanager
def insurance_worker(database_url: str, url: str, logs: Path, name: str, store: Path, **env):
    with process(
        [sys.executable, str(WORKERS / "medical_insurance_worker.py")],
        database_url,
        logs / f"{name}.log",
        {"ENGINE_REST": f"{url}/engine-rest", "WORKER_ID": name, "DEPARTMENT_DIR": str(store), **env},
    ) as child:
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
        return Counter(
            e.activity_id for e in uow.history.for_instance(instance_id) if e.kind == "service_task_completed"
        )


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
            stack.enter_context(
                police_worker(database_url, url, logs, f"police-{n}", police_store, TOKEN=systems["police-system"])
            )
            stack.enter_context(
                insurance_worker(database_url, url, logs, f"insurance-{n}", insurance_store, TOKEN=systems["mi-system"])
            )

        def one(seq: int):
            client = Client(url)
            try:
                return drive([client], tokens, seq, now, deadline_s=240)
            finally:
                client.close()

        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(one, range(1, APPLICATIONS + 1), timeout=300))
        assert all(p.poll() is None for p in running.apis + running.workers), "a process died"
    print(
        f"\n{APPLICATIONS} applications with two external workers per topic: {time.monotonic() - started:.1f} s",
        flush=True,
    )

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
    completed_by = Counter(
        line.split()[1]
        for log in logs.glob("police-*.log")
        for line in log.read_text().splitlines()
        if " completed " in line
    )
    assert set(completed_by) == {"police-1", "police-2"}, completed_by  # both workers took work
    with ctx.reader() as uow:
        assert uow.jobs.incidents(0, 10)[1] == 0
        for outcome in outcomes:
            assert uow.jobs.for_instance(outcome.instance_id) == []


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def long_poll(url: str, token: str, topic: str, worker: str, wait_ms: int) -> tuple[int, list]:
    """One fetchAndLock over its own connection: (status, tasks)."""
    client = Client(url, timeout=wait_ms / 1000 + 30)
    try:
        return client.post(
            "/engine-rest/external-task/fetchAndLock",
            token,
            {
                "workerId": worker,
                "maxTasks": 1,
                "asyncResponseTimeout": wait_ms,
                "topics": [{"topicName": topic, "lockDuration": 60000}],
            },
        )
    finally:
        client.close()


def open_long_poll(url: str, token: str, topic: str, worker: str, wait_ms: int) -> socket.socket:
    """A fetchAndLock sent on a raw connection whose answer nobody will read (the client goes away)."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps(
        {
            "workerId": worker,
            "maxTasks": 1,
            "asyncResponseTimeout": wait_ms,
            "topics": [{"topicName": topic, "lockDuration": 60000}],
        }
    ).encode()
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        b"POST /engine-rest/external-task/fetchAndLock HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nAuthorization: Bearer "
        + token.encode()
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    return sock


def until_hukou_review(client: Client, tokens: dict, seq: int, now, application=None) -> tuple[Outcome, dict]:
    """Start application ``seq`` and approve its reviews until the police review is open; the application (as
    :func:`carry` goes on with it) and that task."""
    status, body = client.call(
        "POST",
        "/api/process-definitions/newborn_birth/start",
        tokens["portal"],
        {"variables": {"application": application or application_for(seq, now)}},
    )
    assert status == 201, body
    started = Outcome(instance_id=body["id"], business_key=body["business_key"])
    return started, next_review(client, tokens, body["id"], "hukou_review", seq)


def next_review(client: Client, tokens: dict, instance_id: str, wanted: str, seq: int) -> dict:
    """Approve the open reviews (and deliver the messages) until the review ``wanted`` is open; that task."""

    def step():
        _, instance = client.get(f"/api/process-instances/{instance_id}", tokens["portal"])
        for task in instance["open_steps"]:
            if task["activity_id"] == wanted:
                return task
            assert client.post(f"/api/tasks/{task['task_id']}/claim", tokens[task["group"]])[0] == 200
            _, form = client.get(f"/api/tasks/{task['task_id']}", tokens[task["group"]])
            status, answer = client.post(
                f"/api/tasks/{task['task_id']}/complete",
                tokens[task["group"]],
                {"variables": approval_for(form["form_key"], seq)},
            )
            assert status == 200, answer
        return None

    return wait_for(step, 60, f"the review {wanted}", poll=0.05)


def test_a_long_poll_waits_without_cost_and_is_answered_when_work_comes(database_url, tmp_path, service_clock_pinned):
    ctx = build_context(database_url)
    tokens = {name: add_user(ctx, name, **spec) for name, spec in accounts().items()}
    systems = worker_accounts(ctx)
    police, insurance = systems["police-system"], systems["mi-system"]
    now = ctx.clock.now()
    with services(database_url, tmp_path / "logs", apis=2, workers=1, threads=8, env=EXTERNAL) as running:
        first, second = running.urls
        clerk = Client(second)

        # nothing to do: the request is held for the whole timeout, and the server spends no CPU meanwhile
        api = running.apis[0]
        before, started = cpu_seconds(api.pid), time.monotonic()
        status, found = long_poll(first, insurance, "medical_insurance.enrol", "idle", 3000)
        held, spent = time.monotonic() - started, cpu_seconds(api.pid) - before
        print(f"\nan idle long poll of 3 s was held {held:.2f} s and cost the API process {spent:.2f} s of CPU")
        assert status == 200 and found == [] and held >= 2.9
        assert spent < 1.5  # a loop of queries would burn the whole 3 s

        # work comes (a clerk approves the police review through the other API process): answered at once.
        # The reviews before go through the first process: it has read the process's diagram once (a process
        # parses a deployment at its first use, half a second), as a process serving workers has long done.
        started, review = until_hukou_review(Client(first), tokens, 1, now)
        instance_id = started.instance_id
        answer: dict = {}
        poller = threading.Thread(
            target=lambda: answer.update(
                result=long_poll(first, police, "police.register_birth", "waiting", 20000), at=time.monotonic()
            )
        )
        gone = open_long_poll(first, police, "police.register_birth", "gone", 20000)
        poller.start()
        time.sleep(1.0)  # both polls are waiting
        gone.close()  # this worker went away: it must lock nothing
        time.sleep(0.5)
        assert clerk.post(f"/api/tasks/{review['task_id']}/claim", tokens["police"])[0] == 200
        asked = time.monotonic()
        status, _ = clerk.post(
            f"/api/tasks/{review['task_id']}/complete", tokens["police"], {"variables": approval_for("hukou_review", 1)}
        )
        approved = time.monotonic()  # the job was committed before this answer
        assert status == 200
        poller.join(timeout=30)
        delay = answer["at"] - approved
        print(
            f"a waiting fetchAndLock was answered {delay * 1000:.0f} ms after the approval that made its job "
            f"returned (the approval took {(approved - asked) * 1000:.0f} ms; made through the other API "
            f"process)",
            flush=True,
        )
        status, tasks = answer["result"]
        assert status == 200 and [t["processInstanceId"] for t in tasks] == [instance_id]
        assert tasks[0]["workerId"] == "waiting" and delay < 10  # a generous bound: it is printed above
        status, gone_holds = Client(first).get("/engine-rest/external-task?workerId=gone", police)
        assert status == 200 and gone_holds == []

        # the README's two workers, as written there, carry this application to the end
        assert clerk.post(f"/engine-rest/external-task/{tasks[0]['id']}/unlock", police)[0] == 204
        js, python = readme_workers(tmp_path / "readme")
        with ExitStack() as workers:
            workers.enter_context(
                process(
                    [NODE, str(js)],
                    database_url,
                    tmp_path / "logs" / "readme-js.log",
                    {"ONETHING_URL": f"{first}/engine-rest", "ONETHING_TOKEN": police},
                )
            )
            workers.enter_context(
                process(
                    [sys.executable, str(python)],
                    database_url,
                    tmp_path / "logs" / "readme-py.log",
                    {"ONETHING_URL": f"{second}/engine-rest", "ONETHING_TOKEN": insurance},
                )
            )
            outcome = carry([clerk], tokens, 1, started, deadline_s=60)
        assert outcome.state == "completed"
        _, view = clerk.get(f"/api/process-instances/{instance_id}", tokens["supervisor"])
        results = {i["code"]: i["result"] for i in view["items"]}
        assert results["hukou_registration"]["number"].startswith("HJ")
        assert results["medical_insurance"]["status"] == "enrolled"
        assert "出生登记已办结，登记编号" in " ".join(n["text"] for n in view["notices"])
        clerk.close()


def readme_workers(folder: Path) -> tuple[Path, Path]:
    """The JavaScript and Python workers of README "Connect a department system", as files ready to run."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Connect a department system", 1)[1].split("\n## ", 1)[0]
    [js] = re.findall(r"```js\n(.*?)```", section, re.S)
    [python] = re.findall(r"```python\n(.*?)```", section, re.S)
    assert 10 <= len(js.splitlines()) <= 20 and 10 <= len(python.splitlines()) <= 20  # about 15 lines each
    folder.mkdir()
    (folder / "node_modules").symlink_to(WORKERS / "node_modules")  # the npm client `make node` installed
    (folder / "police-worker.mjs").write_text(js, encoding="utf-8")
    (folder / "mi_worker.py").write_text(python, encoding="utf-8")
    return folder / "police-worker.mjs", folder / "mi_worker.py"


def test_failures_bpmn_errors_a_killed_worker_and_another_departments_topic(
    database_url, tmp_path, service_clock_pinned
):
    ctx = build_context(database_url)
    tokens = {name: add_user(ctx, name, **spec) for name, spec in accounts().items()}
    tokens["admin"] = add_user(ctx, "admin", ["admin"], [], ["62"])
    systems = worker_accounts(ctx)
    now = ctx.clock.now()
    logs, police_store, insurance_store = tmp_path / "logs", tmp_path / "police", tmp_path / "insurance"
    police_store.mkdir()
    insurance_store.mkdir()
    basic = {"USERNAME": "police-system", "PASSWORD": PASSWORD}  # the npm client's BasicAuthInterceptor
    bearer_insurance = {"TOKEN": systems["mi-system"]}
    with services(database_url, logs, apis=1, workers=1, threads=8, env=EXTERNAL) as running, ExitStack() as stack:
        url = running.urls[0]
        client = Client(url)

        # a police worker asking for a medical-insurance topic is refused (403), and fetches nothing
        with police_worker(
            database_url,
            url,
            logs,
            "nosy",
            police_store,
            TOPIC="medical_insurance.enrol",
            TOKEN=systems["police-system"],
        ):
            wait_for(lambda: "poll error 403" in (logs / "nosy.log").read_text(), 30, "the nosy worker's 403")

        # a medical-insurance system that is down: three attempts, then an incident an admin retries
        police_one = stack.enter_context(police_worker(database_url, url, logs, "police-1", police_store, **basic))
        failing = stack.enter_context(
            insurance_worker(database_url, url, logs, "insurance-down", insurance_store, FAIL="1", **bearer_insurance)
        )
        status, body = client.call(
            "POST",
            "/api/process-definitions/newborn_birth/start",
            tokens["portal"],
            {"variables": {"application": application_for(1, now)}},
        )
        assert status == 201
        first: dict = {"outcome": None}
        runner = threading.Thread(
            target=lambda: first.update(
                outcome=carry(
                    [Client(url)],
                    tokens,
                    1,
                    Outcome(instance_id=body["id"], business_key=body["business_key"]),
                    deadline_s=120,
                )
            )
        )
        runner.start()

        def incidents():  # the enrolment and the maternity reimbursement, each tried three times
            items = client.get("/api/incidents", tokens["admin"])[1]["items"]
            return items if len(items) == 2 and all(i["attempts"] == 3 for i in items) else None

        found = wait_for(incidents, 60, "the incidents of the failing worker", poll=0.2)
        assert {i["activity_id"] for i in found} == {"enrol_medical_insurance", "reimburse_maternity"}
        assert {i["message"] for i in found} == {"医保系统暂不可用"}
        assert {i["business_key"] for i in found} == {body["business_key"]}
        assert (
            len([line for line in (logs / "insurance-down.log").read_text().splitlines() if " failing " in line]) == 6
        )
        _, listed = client.get("/engine-rest/external-task?noRetriesLeft=true", tokens["admin"])
        assert sorted(t["activityId"] for t in listed) == ["enrol_medical_insurance", "reimburse_maternity"]
        stop(failing)
        stack.enter_context(
            insurance_worker(database_url, url, logs, "insurance-1", insurance_store, **bearer_insurance)
        )
        for incident in found:
            status, retried = client.post(f"/api/incidents/{incident['id']}/retry", tokens["admin"])
            assert status == 200 and retried["outcome"] == "queued", retried
        runner.join(timeout=150)
        assert first["outcome"] is not None and first["outcome"].state == "completed"
        assert completed_steps(ctx, body["id"])["enrol_medical_insurance"] == 1

        # the police's system refuses a station not named in full: back to the police clerk, who enters it
        application = application_for(2, now)
        application["hukou"]["police_station"] = "城关分局"
        second, review = until_hukou_review(client, tokens, 2, now, application)
        second_id = second.instance_id
        assert client.post(f"/api/tasks/{review['task_id']}/claim", tokens["police"])[0] == 200
        assert (
            client.post(
                f"/api/tasks/{review['task_id']}/complete",
                tokens["police"],
                {"variables": approval_for("hukou_review", 2)},
            )[0]
            == 200
        )
        back = next_review(client, tokens, second_id, "hukou_review", 2)
        assert back["task_id"] != review["task_id"]
        _, task = client.get(f"/api/tasks/{back['task_id']}", tokens["police"])
        assert task["refusal"]["code"] == "police_station_required" and "派出所全称" in task["refusal"]["message"]
        assert client.post(f"/api/tasks/{back['task_id']}/claim", tokens["police"])[0] == 200
        assert (
            client.post(
                f"/api/tasks/{back['task_id']}/complete",
                tokens["police"],
                {
                    "variables": {
                        **approval_for("hukou_review", 2),
                        "police_station": "兰州市公安局城关分局庆阳路派出所",
                    }
                },
            )[0]
            == 200
        )
        outcome = carry([client], tokens, 2, second, deadline_s=120)
        assert outcome.state == "completed"
        assert lines(logs, "refused") == [f"{second_id}:register_hukou"]
        assert f"{second_id}:register_hukou#2" in lines(logs, "registered")

        # a worker killed while it holds the lock: another takes the step when the lock expires, and finds
        # the birth registered already (the idempotency key): one registration, one completion
        stop(police_one)
        marker = tmp_path / "hung"
        doomed = stack.enter_context(
            police_worker(
                database_url,
                url,
                logs,
                "police-doomed",
                police_store,
                HANG_AFTER_REGISTER=str(marker),
                LOCK_MS="3000",
                TOKEN=systems["police-system"],
            )
        )
        third, review = until_hukou_review(client, tokens, 3, now)
        third_id = third.instance_id
        assert client.post(f"/api/tasks/{review['task_id']}/claim", tokens["police"])[0] == 200
        assert (
            client.post(
                f"/api/tasks/{review['task_id']}/complete",
                tokens["police"],
                {"variables": approval_for("hukou_review", 3)},
            )[0]
            == 200
        )
        wait_for(marker.exists, 30, "the doomed worker's registration")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        stack.enter_context(
            police_worker(database_url, url, logs, "police-2", police_store, TOKEN=systems["police-system"])
        )
        outcome = carry([client], tokens, 3, third, deadline_s=120)
        assert outcome.state == "completed"
        key = f"{third_id}:register_hukou"
        assert lines(logs, "registered").count(key) == 1 and lines(logs, "found").count(key) == 1
        assert completed_steps(ctx, third_id)["register_hukou"] == 1
        _, view = client.get(f"/api/process-instances/{third_id}", tokens["supervisor"])
        hukou = {i["code"]: i for i in view["items"]}["hukou_registration"]["result"]
        registered = [line for line in (logs / "police-doomed.log").read_text().splitlines() if " registered " in line]
        assert registered[0].split()[-1] == hukou["registration_number"]  # the number the killed worker made
        client.close()
