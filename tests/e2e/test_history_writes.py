"""History events a flush writes go in one statement (``engine.persistence.history_writes``) and read back
exactly as events inserted one by one: the same events, in the order they were recorded."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.persistence import history_writes
from handlers.newborn.samples import sample_application


def history_of(api, clock) -> list[tuple]:
    body = api.start(sample_application(clock.now())).get_json()
    assert api.walk_to_end(body["id"])
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    return [(e["kind"], e["actor"], e.get("activity_id"), e.get("department"), e.get("item")) for e in history["items"]]


def test_a_flush_writes_the_history_as_one_by_one_inserts_would(api, clock):
    batched = history_of(api, clock)
    event.remove(Session, "before_flush", history_writes._insert_history_at_once)  # the ORM's own inserts
    try:
        one_by_one = history_of(api, clock)
    finally:
        event.listen(Session, "before_flush", history_writes._insert_history_at_once)
    assert len(batched) > 20
    assert batched == one_by_one
