"""The notifier keeps only the changes an open subscription may still want (issue 26): in a busy process
someone always listens -- the worker between its rounds, one long poll after another -- and the channels of
every instance must not pile up meanwhile. What a subscription has not seen yet is never dropped."""

from __future__ import annotations

from engine.notify import FORGET_AFTER, Notifier


def test_changes_every_subscription_has_seen_are_dropped():
    notifier = Notifier(None)
    with notifier.listening(["jobs:police.register_birth"]) as worker:
        for n in range(20 * FORGET_AFTER):
            notifier.publish([f"instance:{n}"])
            if n % 100 == 0:
                worker.wait(0)  # it looks now and then, as the worker does between rounds
        assert len(notifier._changed) <= FORGET_AFTER + 1


def test_what_a_subscription_has_not_seen_is_kept_however_many_changes_come():
    notifier = Notifier(None)
    with notifier.listening(["instance:mine"]) as slow, notifier.listening(["jobs:x"]) as busy:
        notifier.publish(["instance:mine"])  # before the slow one looks again
        for n in range(5 * FORGET_AFTER):
            notifier.publish([f"instance:{n}"])
            busy.wait(0)
        assert slow.wait(0) and slow.changed == frozenset({"instance:mine"})
        assert not slow.wait(0)  # seen once


def test_with_nobody_listening_nothing_is_kept():
    notifier = Notifier(None)
    notifier.publish(["instance:1"])
    assert notifier._changed == {}


def test_a_subscription_that_does_not_look_for_a_long_while_costs_a_sweep_now_and_then_not_one_per_change(
    monkeypatch,
):
    notifier = Notifier(None)
    sweeps = []
    forget = Notifier._forget_seen
    monkeypatch.setattr(Notifier, "_forget_seen", lambda self: sweeps.append(1) or forget(self))
    with notifier.listening(["instance:stuck"]):
        for n in range(10 * FORGET_AFTER):
            notifier.publish([f"instance:{n}"])
    assert len(notifier._changed) == 10 * FORGET_AFTER  # all kept: the subscription has seen none of them
    assert len(sweeps) <= 5  # at 1024, 2048, 4096, 8192 kept
