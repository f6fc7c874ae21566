"""Batched history rows (issue 26): the events a transaction records are written in one INSERT when it
commits, not one INSERT each between its other statements -- and read back as before, in order. Both
databases."""

from __future__ import annotations

from sqlalchemy import event


def test_each_transaction_writes_its_history_in_one_insert(api, application, ctx):
    per_transaction: list[int] = []  # INSERTs of history rows in each transaction, in the order they began

    def statement(_conn, _cursor, sql, _params, _context, _many):
        if sql.lstrip().upper().startswith("INSERT INTO HISTORY_EVENTS"):
            per_transaction[-1] += 1

    def began(_conn):
        per_transaction.append(0)

    engine = ctx.sessions.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", began)
    try:
        started = api.start(application).get_json()  # the start, then the worker's steps up to the first review
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", began)
    assert max(per_transaction) == 1
    history = api.get(f"/api/process-instances/{started['id']}/history?per_page=200", "supervisor").get_json()
    events = history["items"]
    writes = sum(per_transaction)
    assert len(events) > writes  # some transactions recorded several events, each with one INSERT
    kinds = [e["kind"] for e in events]
    assert kinds.index("instance_started") < kinds.index("task_created")
