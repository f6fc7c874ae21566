"""The per-process cache of deserialized workflows: found only under the revision it was saved with, taken
out by whoever gets it (never two holders), bounded."""

from __future__ import annotations

from engine.workflow_cache import WorkflowCache


class Workflow:  # any object: the cache never looks inside
    pass


def test_a_workflow_is_found_once_and_only_at_its_revision():
    cache = WorkflowCache()
    saved = Workflow()
    cache.put("i1", 3, saved)
    assert cache.take("i1", 2) is None  # an older revision asked: the one kept is dropped, never answered
    assert cache.take("i1", 3) is None
    cache.put("i1", 3, saved)
    assert cache.take("i1", 4) is None  # saved elsewhere since
    cache.put("i1", 4, saved)
    assert cache.take("i1", 4) is saved
    assert cache.take("i1", 4) is None  # taken: no second holder
    assert (cache.hits, cache.misses) == (1, 4)


def test_a_newer_save_replaces_the_older_and_the_oldest_go_first():
    cache = WorkflowCache(size=2)
    first, second, third, newer = Workflow(), Workflow(), Workflow(), Workflow()
    cache.put("a", 1, first)
    cache.put("b", 1, second)
    cache.put("a", 2, newer)
    cache.put("c", 1, third)  # over the size: "b", put least recently, goes
    assert len(cache) == 2
    assert cache.take("b", 1) is None
    assert cache.take("a", 2) is newer and cache.take("c", 1) is third
    off = WorkflowCache(size=0)
    off.put("a", 1, first)
    assert off.take("a", 1) is None
