"""One SQLite writer at a time, queued without SQLite's sleeping busy handler.

SQLite lets one transaction write at a time. A writer that finds the database locked sleeps in SQLite's
busy handler and looks again after 1, 2, 5, 10 … up to 100 ms, so under load the lock often lies free
while writers sleep. Writers of the processes sharing a database file queue here instead: the threads of
one process on a lock, the processes on an exclusive ``flock`` of a file beside the database, which the
kernel hands to the next waiter the moment it is released (also when its holder dies).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

if sys.platform == "win32":  # not POSIX: the threads of each process still queue; processes meet SQLite's lock
    fcntl = None
else:
    import fcntl


class WriterQueue:
    """A context manager held for the whole of a writing transaction; re-entrant within a thread."""

    def __init__(self, lock_file: Path | None) -> None:
        self._threads = threading.Lock()
        self._depth = threading.local()
        self._lock_file = lock_file if fcntl is not None else None
        self._fd: int | None = None
        self._fd_pid: int | None = None

    def __enter__(self) -> "WriterQueue":
        depth = getattr(self._depth, "n", 0)
        if depth == 0:
            self._threads.acquire()
            try:
                if self._lock_file is not None:
                    fcntl.flock(self._file(self._lock_file), fcntl.LOCK_EX)
            except BaseException:
                self._threads.release()
                raise
        self._depth.n = depth + 1
        return self

    def __exit__(self, *exc) -> None:
        self._depth.n -= 1
        if self._depth.n == 0:
            try:
                if self._lock_file is not None:
                    assert self._fd is not None, "__enter__ opened the lock file"
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                self._threads.release()

    def _file(self, lock_file: Path) -> int:
        """The lock file, opened once per process (a forked child opens its own: a shared open file would
        share the lock)."""
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            self._fd_pid = os.getpid()
        return self._fd


def lock_file_of(database: str | None) -> Path | None:
    """``<database file>-writer.lock`` beside a SQLite database file; None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(f"{database}-writer.lock")
