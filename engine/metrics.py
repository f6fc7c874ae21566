"""The service's Prometheus metrics that processes count as things happen (prometheus-client).

Several processes run at once (API units, workers): with ``PROMETHEUS_MULTIPROC_DIR`` set (the units and
containers of ``deploy/`` set it, the same directory for every process of a machine) each process writes its
counts to files there and ``/metrics`` of any API process sums them (``api.metrics``); without it they are
the process's own. What is read from the database -- open and overdue tasks, jobs due and incidents, workers
seen -- is not counted here but read when Prometheus scrapes (``engine.usecases.operations_snapshot``).

No label holds a personal value or a business key: routes are templates, departments candidate groups,
regions and outcomes a service's codes, topics the process's.
"""

from __future__ import annotations

import atexit
import os

from prometheus_client import Counter, Gauge, Histogram, multiprocess

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROCESS_VARIABLE):  # prometheus-client writes there from the first metric made below
    os.makedirs(os.environ[MULTIPROCESS_VARIABLE], mode=0o700, exist_ok=True)

PREFIX = "onething"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

http_requests = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
http_seconds = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer a request, by route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)

jobs_run = Counter(
    f"{PREFIX}_jobs_run",
    "Jobs the workers ran, by kind, topic and outcome (done; retry: failed, "
    "tried again later; incident: failed for good; conflict: the application changed meanwhile)",
    ["kind", "topic", "outcome"],
)
job_seconds = Histogram(
    f"{PREFIX}_job_duration_seconds", "Time a service task's handler took, by topic", ["topic"], buckets=LATENCY_BUCKETS
)

applications_started = Counter(
    f"{PREFIX}_applications_started", "Applications started, by service and region", ["service", "region"]
)
applications_refused = Counter(
    f"{PREFIX}_applications_refused",
    "Applications the policy refused at the start (nothing stored), by service and region",
    ["service", "region"],
)
applications_ended = Counter(
    f"{PREFIX}_applications_ended",
    "Applications that ended, by service, region and outcome (completed, returned, refused, cancelled)",
    ["service", "region", "outcome"],
)

retention_done = Counter(
    f"{PREFIX}_retention_instances",
    "Finished applications the retention runs archived or erased, by service and action",
    ["service", "action"],
)

db_connections_in_use = Gauge(
    f"{PREFIX}_db_pool_connections_in_use",
    "Database connections checked out of the pools of the live processes",
    multiprocess_mode="livesum",
)
db_pool_size = Gauge(
    f"{PREFIX}_db_pool_size", "Connections the pools of the live processes keep", multiprocess_mode="livesum"
)
push_waiters = Gauge(
    f"{PREFIX}_push_waiters",
    "Requests of the live processes waiting for progress (event streams, long polls, live queue pages)",
    multiprocess_mode="livesum",
)
push_refused = Counter(f"{PREFIX}_push_refused", "Requests refused a place to wait for progress (503: all taken)")

OTHER_METHOD = "OTHER"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """A method as a label: the standard ones, anything else one value (no label made from a caller's text)."""
    return method if method in METHODS else OTHER_METHOD


def job_topic(topic: str | None, kind: str) -> str:
    """A job's topic as a label (a timer has none: ``timer``)."""
    return topic or kind


def forget_this_process_at_exit() -> None:
    """In multiprocess mode, take this process's live gauges (the pool's) out of the sums when it exits."""
    directory = os.environ.get(MULTIPROCESS_VARIABLE)
    if directory:
        pid = os.getpid()
        atexit.register(lambda: os.path.isdir(directory) and multiprocess.mark_process_dead(pid, directory))
