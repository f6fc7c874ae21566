"""Progress pushed, not polled (issue 26): a page learns of an application's change -- or a clerk's queue of a
new or taken task -- the moment the transaction that made it commits, without asking again and again.

Each waiter listens on the notifier (:mod:`engine.notify`: ``instance:<id>``, ``tasks:<group>``) before it first
looks, so nothing committed between its look and its wait is missed; woken, it compares the revision
(:mod:`engine.persistence.revisions`, a few indexed reads, no workflow loaded) with what it saw, and only a
different one is news. Nobody holds a database connection while waiting.

* :func:`view_when_changed`: a long poll of a view (the instance view, the progress view): the view at once
  when its tag differs from the one the caller has, else as soon as it changes, else after ``timeout``.
* :func:`follow_instance` / :func:`follow_queue`: what a server-sent event stream sends: each new revision as
  it comes, and a beat whenever nothing came for a while; they end after a while or when the client has gone.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Iterable, Iterator

from ..context import EngineContext
from ..errors import NotFound
from ..notify import Subscription, instance_channel, tasks_channel
from ..persistence.revisions import InstanceRevision
from ..persistence.signals import ANY
from ..users import Principal
from .access import may_see

MAX_WAIT_SECONDS = 30  # the longest a long poll waits (``?wait=``)
ALIVE_CHECK_SECONDS = 1.0  # how often a waiter asks whether its client is still there
# a queue's stream looks at most this often when told only "something changed" (SQLite: any commit of another
# process), so that many clerks' pages do not count their queues at every commit
UNKNOWN_CHANGE_LOOK_SECONDS = 0.5
# an application's waiter looks at most this often when told only "something changed": on SQLite every commit
# of another process (a worker's step of any application) wakes every waiter of this process
UNKNOWN_INSTANCE_LOOK_SECONDS = 0.05


def visible_instance(
    ctx: EngineContext, principal: Principal, *, instance_id: str | None = None, business_key: str | None = None
) -> InstanceRevision:
    """The application (by id or by business key) as far as it has come, if the caller may see it: the same
    rules as its instance view (another's application is not found)."""
    with ctx.reader() as uow:
        if instance_id is None:
            instance_id = uow.revisions.instance_id_of(business_key or "")
        found = uow.revisions.of_instance(instance_id) if instance_id is not None else None
    if found is None or not may_see(principal, found.started_by, found.jurisdiction):
        raise NotFound("application not found")
    return found


def instance_id_of(ctx: EngineContext, business_key: str) -> str:
    """The id of the application of ``business_key`` -- whoever asks: what is read of it next checks that the
    caller may see it (NotFound: no such application)."""
    with ctx.reader() as uow:
        found = uow.revisions.instance_id_of(business_key)
    if found is None:
        raise NotFound("application not found")
    return found


def view_tag(view: dict) -> str:
    """A view's entity tag: the same for the same content."""
    text = json.dumps(view, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def view_when_changed(
    ctx: EngineContext,
    principal: Principal,
    instance_id: str,
    render: Callable[[], dict],
    seen: Collection[str],
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
) -> tuple[dict, str, bool]:
    """(view, its tag, whether the caller has not seen it): at once when the view is none of those whose tags
    the caller names (``seen``); otherwise as soon as the application changes so that its view does, or when
    ``timeout`` seconds (at most :data:`MAX_WAIT_SECONDS`) went by or the client went.

    A tag is ``<revision>:<digest of the view>``, the revision read before the view. What is compared is the
    digest (a change the view does not show -- a step claimed, for the applicant's progress -- is no news); the
    revision spares the view's making: a caller that has the current revision's view waits without it being
    made again. What time alone changes (a step overdue now) is looked at once more when the wait ends."""
    digests = {tag.rpartition(":")[2] for tag in seen}
    if timeout <= 0:  # no wait: nothing to listen to (the notifier is not woken for a plain read)
        view, tag = _tagged(render, visible_instance(ctx, principal, instance_id=instance_id))
        return view, tag, _news(tag, digests)
    deadline = time.monotonic() + min(timeout, MAX_WAIT_SECONDS)
    with ctx.notifier.listening([instance_channel(instance_id)]) as subscription:
        current = visible_instance(ctx, principal, instance_id=instance_id)  # 404 before anything waits
        if not any(tag.startswith(f"{current.revision}:") for tag in seen):
            view, tag = _tagged(render, current)
            if _news(tag, digests):
                return view, tag, True
        looked = time.monotonic()
        while _wait(subscription, deadline, alive):
            if subscription.changed == {ANY}:  # only "something changed" (SQLite: another process committed)
                _pause(looked + UNKNOWN_INSTANCE_LOOK_SECONDS, deadline)
            looked = time.monotonic()
            now = _instance_revision(ctx, instance_id)
            if now is None or now.revision == current.revision:
                continue  # another instance's change (SQLite tells only that something changed)
            current = now
            view, tag = _tagged(render, current)
            if _news(tag, digests):
                return view, tag, True
        view, tag = _tagged(render, current)
        return view, tag, _news(tag, digests)


def _news(tag: str, digests: set[str]) -> bool:
    return tag.rpartition(":")[2] not in digests


def _tagged(render: Callable[[], dict], current: InstanceRevision) -> tuple[dict, str]:
    view = render()
    return view, f"{current.revision}:{view_tag(view)}"


def follow_instance(
    ctx: EngineContext,
    instance_id: str,
    seen: str | None,
    *,
    seconds: float,
    beat_seconds: float,
    alive: Callable[[], bool] = lambda: True,
) -> Iterator[InstanceRevision | None]:
    """The application's revisions as they come: the current one first unless it is ``seen`` (the last one
    the client had), then each new one; None when ``beat_seconds`` went by without any. Ends after ``seconds``,
    when the client has gone, or if the application is no more."""

    def look() -> tuple[str, InstanceRevision] | None:
        found = _instance_revision(ctx, instance_id)
        return None if found is None else (found.revision, found)

    return _follow(ctx, [instance_channel(instance_id)], look, seen, seconds, beat_seconds, alive, exact=True)


def queue_revision(ctx: EngineContext, principal: Principal) -> str:
    """The revision of the caller's queue: the open tasks of its groups in its jurisdictions."""
    with ctx.reader() as uow:
        return uow.revisions.of_queue(principal.groups, principal.jurisdictions)


def follow_queue(
    ctx: EngineContext,
    principal: Principal,
    seen: str | None,
    *,
    seconds: float,
    beat_seconds: float,
    alive: Callable[[], bool] = lambda: True,
) -> Iterator[str | None]:
    """The revisions of the caller's queue as it changes (as :func:`follow_instance`): a task of its groups
    created, claimed, given back or to a colleague, completed or cancelled. A change signalled for one of
    its groups is always news (a task handed from one clerk to another leaves the counts as they were)."""
    if not principal.groups or not principal.jurisdictions:
        return iter(())

    def look() -> tuple[str, str]:
        revision = queue_revision(ctx, principal)
        return revision, revision

    channels = [tasks_channel(group) for group in sorted(principal.groups)]
    return _follow(ctx, channels, look, seen, seconds, beat_seconds, alive, exact=False)


def _instance_revision(ctx: EngineContext, instance_id: str) -> InstanceRevision | None:
    with ctx.reader() as uow:
        return uow.revisions.of_instance(instance_id)


def _follow(
    ctx: EngineContext,
    channels: Iterable[str],
    look: Callable[[], tuple[str, object] | None],
    seen: str | None,
    seconds: float,
    beat_seconds: float,
    alive: Callable[[], bool],
    *,
    exact: bool,
):
    """What :func:`follow_instance` and :func:`follow_queue` share. ``exact``: the revision tells every change
    (otherwise a wake-up by one of the channels themselves, not by "something changed", is news as well)."""
    end = time.monotonic() + seconds
    with ctx.notifier.listening(channels) as subscription:
        signalled = False
        looked = float("-inf")
        while True:
            if subscription.changed == {ANY}:  # only "something changed": not too often
                _pause(looked + (UNKNOWN_INSTANCE_LOOK_SECONDS if exact else UNKNOWN_CHANGE_LOOK_SECONDS), end)
            looked = time.monotonic()
            found = look()
            if found is None:
                return
            revision, news = found
            if revision != seen or signalled:
                seen = revision
                yield news
            beat = time.monotonic() + beat_seconds
            while not _wait(subscription, min(beat, end), alive):
                if not alive() or time.monotonic() >= end:
                    return
                yield None
                beat = time.monotonic() + beat_seconds
            signalled = not exact and bool(subscription.changed - {ANY})


def _pause(until: float, end: float) -> None:
    """Sleep until ``until`` (never past ``end``): a look at most so often."""
    time.sleep(max(0.0, min(until, end) - time.monotonic()))


def _wait(subscription: Subscription, until: float, alive: Callable[[], bool]) -> bool:
    """Wait until one of the subscription's channels changes (True), or until ``until`` or the client went
    (False), asking every :data:`ALIVE_CHECK_SECONDS` whether it is still there."""
    while True:
        current = time.monotonic()
        if current >= until or not alive():
            return False
        if subscription.wait(min(until, current + ALIVE_CHECK_SECONDS) - current):
            return True
