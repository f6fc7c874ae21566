"""The notifier (engine/notify.py): a waiter is woken by a commit that signals its channel -- in its own process
at once, from another process through the database (PostgreSQL's NOTIFY, SQLite's change counter) -- never by
another channel's, and it waits out its timeout when nothing comes. Two engine contexts on one database stand
for two processes (each its own connection pool, notifier and listener)."""

from __future__ import annotations

import threading
import time

import pytest

from engine.bootstrap import build_context
from tests.support.databases import SPECS


@pytest.fixture
def two(database_url):
    """Two contexts on the test's database, as two processes would have."""
    contexts = [build_context(database_url, specs=SPECS) for _ in range(2)]
    yield contexts
    for ctx in contexts:
        ctx.notifier.close()
        ctx.sessions.engine.dispose()


def signal(ctx, *channels: str) -> None:
    """A transaction that changes something (as one that makes a job does) and signals ``channels``."""
    with ctx.uow() as uow:
        uow.ledger.next_number("notify-test")
        uow.signal(*channels)
        uow.commit()


def woken(subscription, timeout: float) -> tuple[bool, float]:
    started = time.monotonic()
    return subscription.wait(timeout), time.monotonic() - started


def test_a_commit_in_the_same_process_wakes_the_waiter_of_its_channel_at_once(two):
    ctx = two[0]
    with ctx.notifier.listening(["jobs:a.b"]) as subscription:
        threading.Timer(0.2, signal, (ctx, "jobs:a.b")).start()
        was_woken, after = woken(subscription, 10)
        assert was_woken and after < 5  # woken by the commit, not by the timeout


def test_another_channels_change_wakes_nobody_and_a_change_is_seen_once(two):
    notifier = two[0].notifier
    with notifier.listening(["jobs:a.b"]) as mine, notifier.listening(["jobs:c.d"]) as theirs:
        time.sleep(0.5)  # what the listener says when it starts (PostgreSQL: "anything may have changed")
        mine.wait(0), theirs.wait(0)
        notifier.publish(["jobs:c.d"])
        assert theirs.wait(0) is True and theirs.wait(0) is False  # seen: not again for the same change
        assert mine.wait(0.1) is False
        notifier.publish(["jobs:a.b"])
        assert mine.wait(0) is True


def test_a_change_between_the_look_and_the_wait_is_not_lost(two):
    ctx = two[0]
    with ctx.notifier.listening(["jobs:a.b"]) as subscription:
        signal(ctx, "jobs:a.b")  # committed after listening began, before the wait
        assert subscription.wait(0) is True


def test_a_commit_in_another_process_wakes_the_waiter(two):
    here, there = two
    with here.notifier.listening(["jobs:a.b"]) as subscription:
        time.sleep(0.5)  # the listener is connected (PostgreSQL) or has read the counter once (SQLite)
        subscription.wait(0)  # whatever it heard while starting
        threading.Timer(0.2, signal, (there, "jobs:a.b")).start()
        was_woken, after = woken(subscription, 10)
        print(f"\na commit in the other process woke the waiter after {after * 1000:.0f} ms")
        assert was_woken and after < 5


def test_a_waiter_with_nothing_coming_waits_its_time(two):
    with two[0].notifier.listening(["jobs:a.b"]) as subscription:
        subscription.wait(0.3)  # whatever the listener heard while starting
        was_woken, after = woken(subscription, 0.5)
        assert not was_woken and after >= 0.45


def test_a_commit_that_signals_many_channels_wakes_the_waiter_of_the_last_one_in_another_process(two):
    """PostgreSQL gets a commit's channels a hundred to a statement: none is left out."""
    here, there = two
    channels = [f"instance:{n:04d}" for n in range(250)]
    with here.notifier.listening([channels[-1]]) as subscription:
        time.sleep(0.5)
        subscription.wait(0)
        threading.Timer(0.2, signal, (there, *channels)).start()
        was_woken, after = woken(subscription, 10)
        assert was_woken and after < 5
