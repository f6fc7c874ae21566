"""History events a transaction records go in one statement (``History.write``) and read back exactly as
events inserted one by one through the ORM: the same events, in the order they were recorded."""

from __future__ import annotations

from engine.persistence.repositories import History
from handlers.newborn.samples import sample_application


def history_of(api, clock) -> list[tuple]:
    body = api.start(sample_application(clock.now())).get_json()
    assert api.walk_to_end(body["id"])
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    return [(e["kind"], e["actor"], e.get("activity_id"), e.get("department"), e.get("item")) for e in history["items"]]


def _one_by_one(self: History) -> None:
    """What ``History.write`` did before: each event added to the session, the ORM inserting it alone."""
    pending, self._pending = self._pending, []
    for event in pending:
        self.session.add(event)
        self.session.flush()


def test_a_transaction_writes_the_history_as_one_by_one_inserts_would(api, clock, monkeypatch):
    batched = history_of(api, clock)
    monkeypatch.setattr(History, "write", _one_by_one)
    one_by_one = history_of(api, clock)
    assert len(batched) > 20
    assert batched == one_by_one
