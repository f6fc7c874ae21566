"""The unit of work: one transaction, one place that commits; rolls back unless committed."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .repositories import Definitions, History, Instances, SqlLedger, Tasks, Users


class ConcurrentUpdate(Exception):
    """Another transaction changed the same instance or row first."""


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
        return self

    def __exit__(self, *exc) -> None:
        assert self.session is not None
        self.session.rollback()
        self.session.close()

    def flush(self) -> None:
        try:
            self.session.flush()
        except (StaleDataError, IntegrityError) as err:
            self.session.rollback()
            raise ConcurrentUpdate(str(err.__class__.__name__)) from err

    def commit(self) -> None:
        try:
            self.session.commit()
        except (StaleDataError, IntegrityError) as err:
            self.session.rollback()
            raise ConcurrentUpdate(str(err.__class__.__name__)) from err

    def ping(self) -> None:
        """Raise if the database does not answer."""
        self.session.execute(text("SELECT 1"))
