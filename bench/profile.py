"""Where the service's CPU goes during the timed applications, by library: what a ``MISSED`` line names as
the limit (issue 26: "what the profile says limits it").

``py-spy`` (the ``bench`` extra) samples the API and worker processes from outside while the applications
run, only the threads holding the GIL (``--gil``: CPU spent in Python, not threads waiting). Each sample is
put down to the library of its innermost frame -- SQLAlchemy, SpiffWorkflow, the web stack (Flask, Werkzeug,
waitress, flask-smorest, marshmallow, webargs, flask-limiter), JSON, the database driver's calls (where
SQLAlchemy hands a statement to sqlite3 or psycopg), our own engine, API and handlers -- and the shares are
printed per process kind. Work done without the GIL (SQLite's own C code, socket I/O) is not among the samples.

Without py-spy, or where it may not attach to another process (ptrace), the bench says so and goes on.
"""

from __future__ import annotations

import collections
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

RATE_HZ = 97  # samples a second per process (not a multiple of the scheduler's tick)

DRIVER_CALLS = ("do_execute", "do_executemany", "do_commit", "do_rollback", "do_begin")
WEB_STACK = {
    "flask",
    "werkzeug",
    "waitress",
    "flask_smorest",
    "marshmallow",
    "webargs",
    "flask_limiter",
    "limits",
    "apispec",
    "jinja2",
    "flask_wtf",
    "wtforms",
    "prometheus_client",
}
OURS = {"engine": "our engine", "api": "our API", "handlers": "our handlers", "forms": "our forms"}
THREADS_AND_IO = {"threading.py", "queue.py", "selectors.py", "socket.py", "ssl.py", "socketserver.py"}


def py_spy() -> str | None:
    """The py-spy executable beside this Python, else on the PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def library_of(frame: str) -> str:
    """The library a py-spy frame (``function (path/to/file.py:line)``) belongs to."""
    function, _, where = frame.rpartition(" (")
    path = where.rsplit(":", 1)[0]
    parts = path.replace("\\", "/").split("/")
    for installed in ("site-packages", "dist-packages"):
        if installed in parts:
            parts = parts[parts.index(installed) + 1 :]
            break
    parts = [part for part in parts if part] or [""]
    top = parts[0]
    if top == "sqlalchemy":
        if function.rsplit(".", 1)[-1] in DRIVER_CALLS:
            return "database driver calls"
        return "SQLAlchemy"
    if top == "SpiffWorkflow":
        return "SpiffWorkflow"
    if top in WEB_STACK:
        return "web stack"
    if top in OURS:
        return OURS[top]
    if top == "json":
        return "JSON"
    if path in THREADS_AND_IO or top in ("http", "email", "urllib"):
        return "threads, sockets, HTTP"
    if len(parts) == 1 or top.startswith("<") or top in ("re", "logging", "uuid", "copy", "importlib", "datetime"):
        return "Python's library"
    return top


def shares(raw: Path) -> dict[str, float]:
    """Share of the samples (0..1) by library, from py-spy's ``raw`` output (collapsed stacks)."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        counts[library_of(stack.rsplit(";", 1)[-1])] += int(count)
    total = sum(counts.values())
    return {name: n / total for name, n in counts.most_common()} if total else {}


class Profile:
    """The shares of each process kind (``api``, ``worker``) once the block ends; empty when not sampled."""

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[str, float]] = {}
        self.note = ""

    def line(self, kind: str, top: int = 6) -> str:
        found = self.by_kind.get(kind)
        if not found:
            return ""
        return ", ".join(f"{name} {share * 100:.0f}%" for name, share in list(found.items())[:top])


@contextmanager
def sampled(pids: dict[str, list[int]], workdir: Path, say):
    """Sample ``pids`` (by kind) with py-spy for the block; yields a :class:`Profile`, filled as it ends."""
    profile = Profile()
    executable = py_spy()
    if executable is None:
        profile.note = "py-spy is not installed (pip install -e '.[bench]'): no profile"
        say(f"  {profile.note}")
        yield profile
        return
    running = []
    for kind, kind_pids in pids.items():
        for pid in kind_pids:
            out = workdir / f"profile-{kind}-{pid}.txt"
            command = [executable, "record", "--pid", str(pid), "--gil", "--nonblocking", "--format", "raw"]
            command += ["--rate", str(RATE_HZ), "--output", str(out)]
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            running.append((kind, out, child))
    try:
        yield profile
    finally:
        merged: dict[str, list[Path]] = collections.defaultdict(list)
        problems = []
        for kind, out, child in running:
            child.send_signal(signal.SIGINT)  # py-spy writes its output and ends
            try:
                _, err = child.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                _, err = child.communicate()
            if out.exists() and out.stat().st_size:
                merged[kind].append(out)
            else:
                problems.append((err or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no output"])
        for kind, files in merged.items():
            joined = workdir / f"profile-{kind}.txt"
            joined.write_text("".join(f.read_text(encoding="utf-8", errors="replace") for f in files))
            profile.by_kind[kind] = shares(joined)
        if problems and not profile.by_kind:
            profile.note = f"py-spy could not sample ({problems[0][0]}): no profile"
            say(f"  {profile.note}")
