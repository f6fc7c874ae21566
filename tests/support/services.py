"""``onething serve`` / ``onething worker`` processes for the side-by-side test and the benchmark: started on
free loopback ports against one database, waited for until healthy, always stopped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def onething(*args: str) -> list[str]:
    return [sys.executable, "-m", "engine.cli", *args]


@contextmanager
def process(argv: list[str], database_url: str, log: Path, env: dict | None = None) -> Iterator[subprocess.Popen]:
    """Run ``argv`` with ``DATABASE_URL``; on exit SIGTERM it, then SIGKILL after 10 s."""
    environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), **(env or {})}
    with open(log, "ab") as out:
        child = subprocess.Popen(
            argv, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield child
    finally:
        stop(child)


def stop(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=10)


def wait_healthy(base_url: str, child: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"{base_url} exited with {child.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base_url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@dataclass
class Running:
    urls: list[str]  # the API processes' base URLs
    apis: list[subprocess.Popen]
    workers: list[subprocess.Popen]


@contextmanager
def services(
    database_url: str,
    logs: Path,
    apis: int = 1,
    workers: int = 1,
    threads: int = 8,
    idle_wait: float = 0.02,
    env: dict | None = None,
) -> Iterator[Running]:
    """``apis`` × ``onething serve --no-worker`` and ``workers`` × ``onething worker``, healthy, with ``env``
    added to their environment. The database must be initialised before (schema, deployment, users)."""
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        urls, started = [], []
        for n in range(apis):
            port = free_port()
            log = logs / f"api{n}.log"
            child = stack.enter_context(
                process(
                    onething("serve", "--no-worker", "--port", str(port), "--threads", str(threads)),
                    database_url,
                    log,
                    env,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
            started.append((urls[-1], child, log))
        worker_processes = [
            stack.enter_context(
                process(
                    onething("worker", "--name", f"worker-{n}", "--idle-wait", str(idle_wait)),
                    database_url,
                    logs / f"worker{n}.log",
                    env,
                )
            )
            for n in range(workers)
        ]
        for url, child, log in started:
            wait_healthy(url, child, log)
        yield Running(urls, [child for _, child, _ in started], worker_processes)
