"""Signals between the processes of one database: a transaction names what it changed -- channels such as
``jobs:<topic>`` -- and every process waiting for such a change hears of it once the transaction commits.

* PostgreSQL: the transaction itself sends ``NOTIFY`` (delivered at its commit, never for a rollback); each
  process that waits keeps one connection that ``LISTEN``s and hands every payload on.
* SQLite has no such thing: a process with someone waiting reads the database's change counter
  (``PRAGMA data_version``: the file header's counter, which moves when any other connection commits) fifty
  times a second on a connection of its own (a few microseconds each: what another process committed is
  heard within 20 ms -- a job for the worker, a step for a waiting page). Any commit elsewhere is a change of
  unknown kind (:data:`ANY`): every waiter then looks for itself.

Within a process the unit of work tells its waiters directly after the commit (:class:`Sessions` callbacks),
so they never wait for the database's round trip.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Iterable

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "onething_signals"  # PostgreSQL's channel; the payload is ours
ANY = "*"  # a change of unknown kind: every waiter looks
SQLITE_POLL_SECONDS = 0.02
NOTIFY_AT_ONCE = 100  # channels told in one statement
RECONNECT_SECONDS = 2.0


def send(session: Session, channels: Iterable[str]) -> None:
    """In the transaction of ``session``: tell the other processes about ``channels`` when it commits
    (PostgreSQL; SQLite's waiters see the commit itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    payloads = sorted(set(channels))
    # one statement for many (a commit that changed an instance, two queues and a topic: one round trip)
    for start in range(0, len(payloads), NOTIFY_AT_ONCE):
        some = payloads[start : start + NOTIFY_AT_ONCE]
        calls = ", ".join(f"pg_notify(:channel, :p{n})" for n in range(len(some)))
        session.execute(text(f"SELECT {calls}"), {"channel": CHANNEL, **{f"p{n}": p for n, p in enumerate(some)}})


class Listener:
    """Hears the other processes' commits in a daemon thread of its own and calls ``heard(channel)`` for each
    (``ANY`` when a change was seen but not what it was: on SQLite, and after PostgreSQL's connection came
    back). It listens only while ``wanted()`` (someone waits); ``wake()`` says that may have changed."""

    def __init__(self, engine: Engine, heard: Callable[[str], None], wanted: Callable[[], bool]) -> None:
        self.engine, self.heard, self.wanted = engine, heard, wanted
        self._stop = threading.Event()
        self._wanted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="onething-signals", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        self._stop.set()
        self._wanted.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        listen = self._postgresql if self.engine.dialect.name == "postgresql" else self._sqlite
        while not self._stop.is_set():
            if not self.wanted():
                self._wanted.wait()
                self._wanted.clear()
                continue
            try:
                listen()
            except Exception:  # the database restarting: try again shortly
                log.warning("signals: listening failed; trying again in %.0f s", RECONNECT_SECONDS, exc_info=True)
                self.heard(ANY)
                self._stop.wait(RECONNECT_SECONDS)

    def _postgresql(self) -> None:
        raw = self.engine.raw_connection()
        try:
            connection = raw.driver_connection
            assert connection is not None
            connection.rollback()
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            self.heard(ANY)  # anything sent while no connection listened
            while not self._stop.is_set() and self.wanted():
                for note in connection.notifies(timeout=1.0):
                    self.heard(note.payload)
        finally:
            raw.invalidate()  # never back to the pool: it listens

    def _sqlite(self) -> None:
        raw = self.engine.raw_connection()
        try:
            assert raw.driver_connection is not None
            cursor = raw.driver_connection.cursor()
            seen = None
            while not self._stop.is_set() and self.wanted():
                version = cursor.execute("PRAGMA data_version").fetchone()[0]
                if seen is not None and version != seen:
                    self.heard(ANY)
                seen = version
                self._stop.wait(SQLITE_POLL_SECONDS)
            cursor.close()
        finally:
            raw.close()
