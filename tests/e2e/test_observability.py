"""Operated like a public service (issue 25: metrics, logs, readiness) with several processes: two
``onething serve --no-worker`` and one ``onething worker`` on one database, sharing
``PROMETHEUS_MULTIPROC_DIR`` as the units of ``deploy/`` do, writing JSON log lines.

One application goes through from a start call carrying ``X-Request-ID``: ``/metrics`` of one API process
shows the counters of all three moving (the start the other API process answered, the jobs the worker ran,
the application started and completed) and the database's gauges, with no personal value, business key or
instance id in it; every log line of every process parses as JSON, none holds a personal value, and the
request id follows the application from the start call into the worker's handler lines. Readiness is 200
while the worker runs and 503 once it is stopped. ``/metrics`` answers only with its token."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from engine.bootstrap import build_context
from engine.usecases.accounts import add_user
from engine.usecases.deployments import deploy_bundled_if_empty
from tests.e2e.test_security_pii_logs import personal_data
from tests.support.http import Client
from tests.support.lifecycle import Outcome, accounts, application_for, carry
from tests.support.services import services, stop

TOKEN = "scrape-secret-for-the-tests"
REQUEST_ID = "trace-issue25-0001"
START_ROUTE = "/api/process-definitions/<key>/start"


def scrape(base: str, token: str | None = TOKEN) -> tuple[int, str]:
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def total(text: str, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` whose labels include ``labels``."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def readiness(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/api/health/ready", timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not within a minute")


def json_lines(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, path
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"{path.name}: not a JSON line: {line[:300]!r}") from None
    return parsed


def test_metrics_logs_and_readiness_across_processes(database_url, tmp_path, service_clock_pinned):
    ctx = build_context(database_url)
    deploy_bundled_if_empty(ctx)
    tokens = {name: add_user(ctx, name, **spec) for name, spec in accounts().items()}
    application = application_for(2, service_clock_pinned)  # online: the start makes the first service task
    secrets = {value for value in personal_data(application) if value}
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "ONETHING_METRICS_TOKEN": TOKEN,
        "ONETHING_LOG_FORMAT": "json",
        "ONETHING_LOG_LEVEL": "INFO",
    }
    logs = tmp_path / "logs"

    with services(database_url, logs, apis=2, workers=1, env=env) as running:
        first, second = running.urls
        assert scrape(first, token=None)[0] == 401 and scrape(first, token="wrong")[0] == 401
        status, before = scrape(first)
        assert status == 200 and total(before, "onething_jobs_run_total") == 0
        wait_for(lambda: readiness(first)[0] == 200)  # the worker's first heartbeat

        port = int(second.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "POST",
            "/api/process-definitions/newborn_birth/start",
            body=json.dumps({"variables": {"application": application}}, ensure_ascii=False).encode(),
            headers={
                "Authorization": f"Bearer {tokens['portal']}",
                "X-Request-ID": REQUEST_ID,
                "Content-Type": "application/json",
            },
        )
        answer = connection.getresponse()
        started = json.loads(answer.read())
        assert answer.status == 201 and answer.getheader("X-Request-ID") == REQUEST_ID, started
        connection.close()
        clients = [Client(first), Client(second)]
        outcome = carry(clients, tokens, 2, Outcome(instance_id=started["id"], business_key=started["business_key"]))
        assert outcome.state == "completed"

        after = wait_for(
            lambda: (
                (text := scrape(first)[1])
                and total(text, "onething_applications_ended_total", outcome="completed") >= 1
                and text
            )
        )
        # the start, answered by the other API process, counted here
        assert total(after, "onething_http_requests_total", route=START_ROUTE, status="201", method="POST") == 1
        assert total(after, "onething_http_request_duration_seconds_count", route=START_ROUTE) == 1
        # the worker's jobs, the application's start and end
        assert total(after, "onething_jobs_run_total", topic="service_center.dispatch", outcome="done") >= 1
        assert total(after, "onething_jobs_run_total", outcome="done") > total(before, "onething_jobs_run_total")
        assert total(after, "onething_job_duration_seconds_count", topic="police.register_birth") >= 1
        assert total(after, "onething_applications_started_total", service="newborn", region="gansu") == 1
        assert total(after, "onething_workers_seen") == 1 and total(after, "onething_database_up") == 1
        assert total(after, "onething_incidents_open") == 0 and "onething_user_tasks_overdue" in after
        assert total(after, "onething_db_pool_size") > 0
        leaked = {value for value in secrets | {outcome.business_key, outcome.instance_id} if value in after}
        assert leaked == set()

        assert readiness(first)[0] == 200
        [worker] = running.workers
        stop(worker)  # SIGTERM: it stops between jobs and says so
        assert worker.returncode == 0
        status, body = readiness(first)
        assert status == 503 and not body["checks"]["worker"]["ok"] and body["checks"]["database"]["ok"]
        for client in clients:
            client.close()

    lines = {path.name: json_lines(path) for path in sorted(logs.glob("*.log"))}
    everything = [line for found in lines.values() for line in found]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in everything)
    leaks = {secret for line in everything for secret in secrets if secret in json.dumps(line, ensure_ascii=False)}
    assert leaks == set()
    [start_line] = [
        line
        for name, found in lines.items()
        if name.startswith("api")
        for line in found
        if line.get("request_id") == REQUEST_ID and line["logger"] == "api.access"
    ]
    assert start_line["business_key"] == outcome.business_key and start_line["user"] == "portal"
    assert start_line["route"] == START_ROUTE and "201" in start_line["message"]
    handled = [line for line in lines["worker0.log"] if line.get("request_id") == REQUEST_ID]
    assert any("service_center.dispatch" in line["message"] for line in handled), lines["worker0.log"][-20:]
    assert {line.get("business_key") for line in handled} == {outcome.business_key}
    # a clerk's request makes the later jobs: their lines carry that request's id, not the start's
    later = [line for line in lines["worker0.log"] if "police.register_birth" in line["message"]]
    assert later and all(line.get("request_id") not in (None, REQUEST_ID) for line in later)
    assert all(line.get("business_key") == outcome.business_key for line in later)
