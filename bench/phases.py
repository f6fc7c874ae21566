"""The benchmark's measurements against running services: full lifecycles from several client threads,
a worker's memory, and a clerk's first task-list page."""

from __future__ import annotations

import itertools
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from tests.support.http import Client
from tests.support.lifecycle import drive


class Sequence:
    """Application numbers, unique over the whole run (each gets its own newborn)."""

    def __init__(self) -> None:
        self._next = itertools.count(1)
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            return next(self._next)


def lifecycles(
    urls: list[str],
    tokens: dict[str, str],
    apps: int,
    threads: int,
    now: datetime,
    numbers: Sequence,
    progress=None,
    poll_s: float = 0.05,
    max_poll_s: float = 1.0,
) -> tuple[float, list[float]]:
    """Drive ``apps`` applications to completion from ``threads`` client threads (each its own keep-alive
    connection per API process), waiting for the application's next change with a long poll of the instance
    view (``?wait=``) while only the worker has work -- or, when the API has no room for another waiter (503),
    looking again after ``poll_s``, then less often (up to every ``max_poll_s``); (seconds from the first start
    to the last completion, call timings: the long polls' waits are not among them)."""
    timings: list[float] = []
    remaining = itertools.count()
    done = itertools.count(1)

    def client_thread(n: int) -> None:
        clients = [Client(url, timings) for url in urls[n % len(urls) :] + urls[: n % len(urls)]]
        try:
            while next(remaining) < apps:
                outcome = drive(clients, tokens, numbers.take(), now, poll_s=poll_s, max_poll_s=max_poll_s)
                if outcome.state != "completed":
                    raise RuntimeError(f"{outcome.business_key} ended {outcome.state}")
                finished = next(done)
                if progress and (finished % max(apps // 5, 1) == 0):
                    progress(f"  {finished}/{apps} applications completed")
        finally:
            for client in clients:
                client.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(client_thread, n) for n in range(threads)]:
            future.result()
    return time.perf_counter() - started, timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU time a process used (with ``children``: also its reaped and its live children's, as for the
    PostgreSQL server's backends)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def stat(p: int) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    fields = stat(pid)
    total = sum(int(v) for v in fields[11 : 13 if not children else 15])
    if children:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    child = stat(int(entry.name))
                except OSError:
                    continue
                if int(child[1]) == pid:
                    total += int(child[11]) + int(child[12])
    return total / ticks


def tasklist_ms(url: str, token: str, calls: int = 30) -> float:
    """Median milliseconds of a clerk's first task-list page (after a few warm-up calls)."""
    client = Client(url)
    timings: list[float] = []
    try:
        for _ in range(5):
            status, body = client.get("/api/tasks?page=1&per_page=20", token)
            assert status == 200 and body["items"], (status, body)
        client.timings = timings
        for _ in range(calls):
            client.get("/api/tasks?page=1&per_page=20", token)
    finally:
        client.close()
    return statistics.median(timings) * 1000
