"""``GET /metrics`` in Prometheus's text format (issue 25, "Metrics"), and the HTTP requests counted.

Every answer is counted by method, route template (``/api/tasks/<task_id>``, never the path) and status, and
timed (``onething_http_request_duration_seconds``). ``/metrics`` gives what every process of the machine
counted (``PROMETHEUS_MULTIPROC_DIR``: prometheus-client's multiprocess mode; without it, this process's
counts) and what is read from the database at scrape time (``engine.usecases.operations_snapshot``), kept
for ``SNAPSHOT_SECONDS`` so that a scrape costs at most one read every few seconds.

It is for the operators only: a scraper shows ``ONETHING_METRICS_TOKEN`` as a bearer token, or scrapes from
an address of ``ONETHING_METRICS_ADDRESSES`` (addresses or networks, comma-separated). With neither set it
answers 404: no metrics are served. The reverse proxy in ``deploy/`` does not pass ``/metrics`` on.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import REGISTRY

from engine import metrics
from engine.context import EngineContext
from engine.usecases.operations_snapshot import Snapshot, snapshot

from .guard import bearer_token
from .request_context import route_template

TOKEN_VARIABLE = "ONETHING_METRICS_TOKEN"
ADDRESSES_VARIABLE = "ONETHING_METRICS_ADDRESSES"
SNAPSHOT_SECONDS = 10.0
PATH = "/metrics"

log = logging.getLogger(__name__)


class MetricsAccess:
    """Who may scrape: the bearer token, the operators' networks (both from the environment, read once)."""

    def __init__(self, token: str | None, addresses: str | None) -> None:
        self.token = token or None
        self.networks = []
        for part in (addresses or "").split(","):
            if part.strip():
                try:
                    self.networks.append(ipaddress.ip_network(part.strip(), strict=False))
                except ValueError:
                    raise ValueError(
                        f"{ADDRESSES_VARIABLE}: {part.strip()!r} is not an address or a network "
                        f"(e.g. 10.0.0.5, 10.0.0.0/24)"
                    ) from None

    @classmethod
    def from_environment(cls) -> MetricsAccess:
        return cls(os.environ.get(TOKEN_VARIABLE, "").strip(), os.environ.get(ADDRESSES_VARIABLE))

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.networks)

    def allows(self, authorization: str, address: str | None) -> bool:
        if self.token:
            given = bearer_token(authorization) or ""
            if hmac.compare_digest(given.encode(), self.token.encode()):
                return True
        if address and self.networks:
            try:
                peer = ipaddress.ip_address(address)
            except ValueError:
                return False
            return any(peer in network for network in self.networks)
        return False


class DatabaseCollector:
    """The gauges read from the database, from a snapshot at most ``SNAPSHOT_SECONDS`` old."""

    def __init__(self, ctx: EngineContext, seconds: float = SNAPSHOT_SECONDS) -> None:
        self.ctx = ctx
        self.seconds = seconds
        self._lock = threading.Lock()
        self._taken: tuple[float, Snapshot | None] = (float("-inf"), None)

    def current(self) -> Snapshot | None:
        """The snapshot (None: the database did not answer)."""
        with self._lock:
            at, kept = self._taken
            if time.monotonic() - at >= self.seconds:
                try:
                    kept = snapshot(self.ctx)
                except Exception:  # the scrape still answers, with onething_database_up 0
                    log.warning("metrics: the database could not be read", exc_info=True)
                    kept = None
                self._taken = (time.monotonic(), kept)
            return kept

    def collect(self):
        found = self.current()
        up = GaugeMetricFamily("onething_database_up", "Whether the database answered the last scrape's read")
        up.add_metric([], 1 if found is not None else 0)
        yield up
        if found is None:
            return
        yield from _families(found)


def _families(found: Snapshot):
    open_tasks = GaugeMetricFamily(
        "onething_user_tasks_open",
        "Open user tasks by department (candidate group) and jurisdiction",
        labels=["department", "jurisdiction"],
    )
    overdue = GaugeMetricFamily(
        "onething_user_tasks_overdue",
        "Open user tasks past their due moment, by department and jurisdiction",
        labels=["department", "jurisdiction"],
    )
    for department, jurisdiction, count, late in found.tasks:
        open_tasks.add_metric([department, jurisdiction], count)
        overdue.add_metric([department, jurisdiction], late)
    jobs = GaugeMetricFamily(
        "onething_jobs",
        "Jobs by kind, topic and state (due: waiting for a worker now; running; waiting: due later; incident)",
        labels=["kind", "topic", "state"],
    )
    incidents = GaugeMetricFamily(
        "onething_incidents_open", "Incidents open (jobs that failed for good), by topic", labels=["topic"]
    )
    for kind, topic, state, count in found.jobs:
        jobs.add_metric([kind, topic, state], count)
        if state == "incident":
            incidents.add_metric([topic], count)
    yield from (open_tasks, overdue, jobs, incidents)
    yield _gauge(
        "onething_jobs_oldest_due_seconds", "How long the longest-waiting due job has waited", found.oldest_due_seconds
    )
    yield _gauge(
        "onething_workers_seen", "Workers that wrote their heartbeat within the last minute", found.workers_seen
    )
    if found.worker_silent_seconds is not None:
        yield _gauge(
            "onething_worker_silent_seconds",
            "Seconds since any worker last wrote its heartbeat",
            found.worker_silent_seconds,
        )
    yield _gauge(
        "onething_calendar_provisional_years",
        "Years near today counted provisionally (no holiday notice loaded)",
        found.provisional_years,
    )
    yield _gauge(
        "onething_calendar_uncovered_years",
        "Years near today whose working days cannot be counted",
        found.uncovered_years,
    )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def exposition(collector: DatabaseCollector) -> bytes:
    """The counts of every process (multiprocess mode) or of this one, then the database's gauges."""
    if os.environ.get(metrics.MULTIPROCESS_VARIABLE):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(collector)
    return generate_latest(counted) + generate_latest(database)


_children: dict[tuple[str, str, int], tuple] = {}  # (method, route, status) → its counter and histogram


def _labelled(method: str, route: str, status: int) -> tuple:
    """The counter's and the histogram's child for these labels, looked up once (``labels()`` takes a lock
    and builds the label tuple on every call). Labels are methods (:func:`engine.metrics.method_label`), route
    templates and statuses: few, so the dict stays small."""
    found = _children.get((method, route, status))
    if found is None:
        found = _children[(method, route, status)] = (
            metrics.http_requests.labels(method, route, str(status)),
            metrics.http_seconds.labels(method, route),
        )
    return found


def _count(response: Response) -> Response:
    started = g.get("started")
    if started is not None:
        counter, histogram = _labelled(metrics.method_label(request.method), route_template(), response.status_code)
        counter.inc()
        histogram.observe(time.perf_counter() - started)
    return response


def register(app: Flask) -> None:
    """Count every answer; serve ``/metrics`` (after ``request_context``: its hooks time the request)."""
    app.after_request(_count)
    app.extensions["onething_metrics"] = (
        MetricsAccess.from_environment(),
        DatabaseCollector(app.extensions["onething"]),
    )
    app.add_url_rule(PATH, "metrics", _serve, methods=["GET"])


def _serve() -> Response:
    access, collector = current_app.extensions["onething_metrics"]
    if not access.enabled:
        return Response("not found\n", status=404, mimetype="text/plain")
    if not access.allows(request.headers.get("Authorization", ""), request.remote_addr):
        return Response(
            "metrics are for the operators: a bearer token or an operator's address\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(exposition(collector), mimetype=CONTENT_TYPE_LATEST)
