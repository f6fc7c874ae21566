"""The unit of work: one transaction, one place that commits; rolls back unless committed."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict
from .material_repository import Materials
from .repositories import (
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


class ConcurrentUpdate(Conflict):
    """Another transaction changed the same instance or row first (answered 409: try again)."""


def _is_lock_conflict(err: OperationalError) -> bool:
    """SQLite's "database is locked" / busy snapshot: another writer committed first."""
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


class UnitOfWork:
    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self._sessions()
        self.definitions = Definitions(self.session)
        self.instances = Instances(self.session)
        self.tasks = Tasks(self.session)
        self.history = History(self.session)
        self.users = Users(self.session)
        self.ledger = SqlLedger(self.session)
        self.jobs = Jobs(self.session)
        self.subscriptions = Subscriptions(self.session)
        self.idempotency = IdempotencyRecords(self.session)
        self.materials = Materials(self.session)
        return self

    def __exit__(self, *exc) -> None:
        assert self.session is not None
        self.session.rollback()
        self.session.close()

    def flush(self) -> None:
        with _conflicts_raised():
            self.session.flush()

    def commit(self) -> None:
        with _conflicts_raised():
            self.session.commit()

    def ping(self) -> None:
        """Raise if the database does not answer."""
        self.session.execute(text("SELECT 1"))

    @property
    def is_postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"
