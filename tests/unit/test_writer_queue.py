"""The SQLite writer queue: one writer at a time across processes (a flock), re-entrant in a thread."""

from __future__ import annotations

import threading
import time

from engine.persistence.writer_queue import WriterQueue, lock_file_of


def test_a_second_process_waits_until_the_writer_leaves(tmp_path):
    lock = tmp_path / "db.sqlite-writer.lock"
    first, second = WriterQueue(lock), WriterQueue(lock)  # two open files: as two processes would have
    entered: list[float] = []

    def other_process() -> None:
        with second:
            entered.append(time.monotonic())

    with first:
        with first:  # re-entrant within the thread
            pass
        waiter = threading.Thread(target=other_process)
        waiter.start()
        time.sleep(0.2)
        assert entered == []  # still waiting
        left = time.monotonic()
    waiter.join(timeout=5)
    assert entered and entered[0] >= left


def test_the_lock_file_sits_beside_the_database_file():
    assert str(lock_file_of("/srv/onething/instance/onething.db")) == "/srv/onething/instance/onething.db-writer.lock"
    assert lock_file_of(":memory:") is None and lock_file_of(None) is None
