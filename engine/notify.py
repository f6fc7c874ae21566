"""Waiting for a change without asking the database again and again: a request that has nothing to answer yet
(an external worker's long poll, a page waiting for an application's progress or a clerk's queue:
:mod:`engine.usecases.watch`) waits here on named channels -- ``jobs:<topic>``, ``instance:<id>``,
``tasks:<group>`` -- and is woken the moment a transaction that changed one of them commits: in this process
at once (the unit of work's ``signal``), from the other processes of the database through it
(:mod:`engine.persistence.signals`: PostgreSQL's ``LISTEN``/``NOTIFY``, SQLite's change counter).

A waiter is woken for nothing sometimes -- SQLite tells only that *something* changed, and a wake-up may be for
work another waiter took first -- so it always looks for itself after waking; it is never woken late: it
starts listening before it first looks (:meth:`Notifier.listening`), so a change between the look and the
wait still wakes it.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterable, Iterator

from .persistence import shared_reads
from .persistence.database import Sessions
from .persistence.signals import ANY, Listener

LINGER_SECONDS = 60.0
FORGET_AFTER = 1024  # changes kept before those every open subscription has seen are dropped


def job_channel(topic: str) -> str:
    """The channel of a topic's service tasks: signalled when one may be taken (new, or handed back)."""
    return f"jobs:{topic}"


def instance_channel(instance_id: str) -> str:
    """The channel of a process instance: signalled by every transaction that changed it (a save of its
    workflow, a task of it claimed, an incident of it...)."""
    return f"instance:{instance_id}"


def tasks_channel(group: str) -> str:
    """The channel of a clerk group's queue: signalled when one of its tasks is created, claimed, given back,
    given to a colleague, completed or cancelled."""
    return f"tasks:{group}"


class Notifier:
    """The channels changed in this process's sight, and the threads waiting for some of them."""

    def __init__(self, sessions: Sessions | None) -> None:
        self._sessions = sessions
        self._condition = threading.Condition()
        self._sequence = 0
        self._changed: dict[str, int] = {}  # channel → the sequence number of its last change
        self._subscriptions: set[Subscription] = set()  # open now
        self._forget_at = FORGET_AFTER  # changes kept before the next sweep of those every subscription saw
        self._waiting = 0
        self._last_waited = float("-inf")
        self._listener: Listener | None = None
        if sessions is not None:  # (a context with no database -- the unit tests' in-memory one -- has no commits)
            sessions.on_commit(self.publish)

    def publish(self, channels: Iterable[str]) -> None:
        """``channels`` changed (a commit here, or a signal from another process): wake their waiters. Only
        changes someone may still wait for are kept (a subscription starts at the newest)."""
        with self._condition:
            self._sequence += 1
            if not self._waiting:
                self._changed.clear()
                return
            for channel in channels:
                self._changed[channel] = self._sequence
            if len(self._changed) > self._forget_at:
                self._forget_seen()
            self._condition.notify_all()

    def _forget_seen(self) -> None:
        """Drop the changes every open subscription has seen already (someone always listens in a busy process:
        the worker between its rounds, long polls one after another -- the changes of every instance must not
        pile up meanwhile)."""
        oldest = min((subscription._seen for subscription in self._subscriptions), default=self._sequence)
        self._changed = {channel: sequence for channel, sequence in self._changed.items() if sequence > oldest}
        # what a subscription that has not looked for a while still needs stays: the next sweep waits until
        # twice as many are kept (a sweep now and then, not one per change)
        self._forget_at = max(FORGET_AFTER, 2 * len(self._changed))

    def _heard(self, channel: str) -> None:
        self.publish((channel,))

    @property
    def waiting(self) -> int:
        """How many subscriptions are open now (0 once every waiter has gone)."""
        with self._condition:
            return self._waiting

    def _anyone_waiting(self) -> bool:
        """Whether to go on listening: someone waits, or waited a moment ago (a worker's next poll is coming:
        PostgreSQL's listening connection is not made anew for each)."""
        return self._waiting > 0 or time.monotonic() - self._last_waited < LINGER_SECONDS

    @contextmanager
    def listening(self, channels: Iterable[str]) -> Iterator["Subscription"]:
        """A subscription to ``channels`` for the block: start listening, then look, then ``wait``. The reads
        this thread shares end first (what a waiter reads must see what others commit meanwhile)."""
        shared_reads.end()
        with self._condition:
            self._waiting += 1
            if self._listener is None and self._sessions is not None:
                self._listener = Listener(self._sessions.engine, self._heard, self._anyone_waiting)
            subscription = Subscription(self, frozenset(channels) | {ANY}, self._sequence)
            self._subscriptions.add(subscription)
        if self._listener is not None:
            self._listener.wake()
        try:
            yield subscription
        finally:
            with self._condition:
                self._subscriptions.discard(subscription)
                self._waiting -= 1
                self._last_waited = time.monotonic()

    def close(self) -> None:
        """Stop listening to the other processes (the process ends, or a test's database goes)."""
        with self._condition:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()


class Subscription:
    """Channels a thread waits for, and how far it has seen their changes."""

    def __init__(self, notifier: Notifier, channels: frozenset[str], seen: int) -> None:
        self._notifier = notifier
        self.channels = channels
        self._seen = seen
        self.changed: frozenset[str] = frozenset()  # the channels the last wait that saw a change was woken by

    def _news(self) -> frozenset[str]:
        changed = self._notifier._changed
        return frozenset(channel for channel in self.channels if changed.get(channel, 0) > self._seen)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a change of one of the channels since the last wait (or since
        listening began): True when there was one, False when the time ran out."""
        condition = self._notifier._condition
        end = time.monotonic() + max(timeout, 0.0)
        with condition:
            while not (news := self._news()):
                remaining = end - time.monotonic()
                if remaining <= 0:
                    self._seen = self._notifier._sequence  # none of the changes so far was of its channels
                    return False
                condition.wait(remaining)
            self._seen = self._notifier._sequence
            self.changed = news  # ANY among them: a change of unknown kind (look for yourself)
            return True
