"""The history events a flush writes, in one statement.

The ORM inserts rows whose id the database makes one statement each when it must read the ids back and the
database cannot return them in order for several rows (SQLite). Nobody keeps a history event after adding
it (``History.add``), so the flush takes them out of the session and inserts them all at once, in the order
they were added (ids unread), in the same transaction: an autoflush before a query or the commit writes
them as it wrote them before.
"""

from __future__ import annotations

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from .models import HistoryEvent

_COLUMNS = [column.key for column in HistoryEvent.__table__.columns if column.key != "id"]


@event.listens_for(Session, "before_flush")
def _insert_history_at_once(session: Session, flush_context, instances) -> None:
    events = [obj for obj in session.new if isinstance(obj, HistoryEvent)]
    if len(events) < 2:  # one row is one statement anyway
        return
    events.sort(key=lambda obj: inspect(obj).insert_order or 0)
    for obj in events:
        session.expunge(obj)
    session.connection().execute(insert(HistoryEvent), [{key: getattr(obj, key) for key in _COLUMNS} for obj in events])
