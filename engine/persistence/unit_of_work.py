"""The unit of work: one transaction, one place that commits; rolls back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict
from . import signals
from .database import Sessions
from .decision_repository import DecisionDefinitions
from .material_repository import Materials
from .operations_repository import Operations
from .repositories import (
    Audit,
    CalendarYears,
    CountedYears,
    Definitions,
    History,
    IdempotencyRecords,
    Instances,
    Jobs,
    SqlLedger,
    Subscriptions,
    Tasks,
    Users,
)
from .retention_repository import RetentionRecords
from .revisions import Revisions
from .search import Search
from .search_repository import SearchKeys
from .sign_in_repositories import SignInThrottles, WebSessions


class ConcurrentUpdate(Conflict):
    """Another transaction changed the same instance or row first (answered 409: try again)."""


# PostgreSQL's SQLSTATEs for "another transaction is in the way; the same work may succeed if run again":
# serialization_failure, deadlock_detected, lock_not_available.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def _is_lock_conflict(err: OperationalError) -> bool:
    """Another writer is in the way: PostgreSQL's deadlock or serialization failure, SQLite's "database is
    locked" / busy snapshot."""
    sqlstate = getattr(err.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _RETRYABLE_SQLSTATES
    text_ = str(err.orig).lower()
    return "locked" in text_ or "busy" in text_


@contextmanager
def _conflicts_raised():
    """Turn the database's "someone else wrote first" errors into :class:`ConcurrentUpdate`."""
    try:
        yield
    except (StaleDataError, IntegrityError) as err:
        raise ConcurrentUpdate(err.__class__.__name__) from err
    except OperationalError as err:
        if not _is_lock_conflict(err):
            raise
        raise ConcurrentUpdate("database busy") from err


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work was asked to commit."""


class UnitOfWork:
    """One transaction. ``read_only`` ones cannot commit; on SQLite they neither wait for nor hold up the
    writer, and writing ones queue for the database (``Sessions.writing``: one SQLite writer at a time)."""

    def __init__(self, sessions: Sessions, read_only: bool = False):
        self._sessions = sessions
        self.read_only = read_only
        self._session: Session | None = None
        self._writing: AbstractContextManager[Any] | None = None
        self._signals: set[str] = set()
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> "UnitOfWork":
        if not self.read_only:
            self._writing = self._sessions.writing()
            self._writing.__enter__()
        try:
            self._session = (self._sessions.read if self.read_only else self._sessions.write)()
        except BaseException:
            self._leave()
            raise
        self.definitions = Definitions(self.session)
        self.decisions = DecisionDefinitions(self.session)
        self.search = Search(self.session)
        self.instances = Instances(self.session)
        self.tasks = Tasks(self.session)
        self.history = History(self.session)
        self.audit = Audit(self.session)
        self.users = Users(self.session)
        self.ledger = SqlLedger(self.session)
        self.jobs = Jobs(self.session)
        self.subscriptions = Subscriptions(self.session)
        self.idempotency = IdempotencyRecords(self.session)
        self.materials = Materials(self.session)
        self.search_keys = SearchKeys(self.session)
        self.calendar = CalendarYears(self.session)
        self.counted = CountedYears(self.session)
        self.web_sessions = WebSessions(self.session)
        self.sign_in_throttles = SignInThrottles(self.session)
        self.operations = Operations(self.session)
        self.retention = RetentionRecords(self.session)
        self.revisions = Revisions(self.session)
        return self

    @property
    def session(self) -> Session:
        """The transaction's session (there is one only inside the ``with`` block)."""
        if self._session is None:
            raise RuntimeError("a unit of work is used outside its `with` block")
        return self._session

    def __exit__(self, exc_type, exc, traceback) -> None:
        session = self.session
        try:
            session.rollback()
            session.close()
        finally:
            self._leave()
        if isinstance(exc, StaleDataError):  # an autoflush met another writer's newer revision
            raise ConcurrentUpdate(exc.__class__.__name__) from exc
        if isinstance(exc, OperationalError) and _is_lock_conflict(exc):  # an autoflush met a deadlock
            raise ConcurrentUpdate("deadlock or lock conflict") from exc

    def _leave(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.__exit__(None, None, None)

    def flush(self) -> None:
        with _conflicts_raised():  # the history's flush writes the pending instance and task rows too
            self.history.write()
            self.session.flush()

    def signal(self, *channels: str) -> None:
        """Wake whoever waits for ``channels`` -- in this process and in the others of the database -- once
        this transaction commits (:mod:`.signals`)."""
        self._signals.update(channels)

    def commit(self) -> None:
        if self.read_only:
            raise ReadOnlyViolation("a read-only unit of work cannot commit")
        with _conflicts_raised():  # the history's flush writes the pending instance and task rows too
            self.history.write()
            if self._signals:
                signals.send(self.session, self._signals)
            self.session.commit()
        if self._signals:
            channels, self._signals = self._signals, set()
            self._sessions.committed(channels)
        done, self._after_commit = self._after_commit, []
        for callback in done:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this unit of work has committed (never if it rolls back): what counts only
        what happened, such as the metrics."""
        self._after_commit.append(callback)

    def ping(self) -> None:
        """Raise if the database does not answer."""
        self.session.execute(text("SELECT 1"))

    def schema_status(self):
        """The schema's revision against this release's (:class:`~.database.SchemaStatus`)."""
        from .database import schema_status

        return schema_status(self.session.connection())

    @property
    def is_postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"
