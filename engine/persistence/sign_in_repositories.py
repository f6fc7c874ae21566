"""Repositories of signing in: the pages' sessions kept on the server, and the counts of failed password
checks, each an atomic statement (a conditional ``UPDATE … RETURNING``) so concurrent requests cannot get
past a limit on SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .dml import rowcount
from .models import SignInThrottle, WebSession


class WebSessions:
    def __init__(self, session: Session):
        self.session = session

    def get(self, id_hash: str) -> WebSession | None:
        return self.session.get(WebSession, id_hash)

    def add(self, row: WebSession) -> None:
        self.session.add(row)

    def delete(self, id_hash: str) -> None:
        self.session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))

    def delete_of_user(self, user_name: str) -> int:
        """End every session of one user; how many there were."""
        return rowcount(self.session.execute(delete(WebSession).where(WebSession.user_name == user_name)))

    def touch(self, id_hash: str, now: datetime, idle_since: datetime, begun_since: datetime) -> bool:
        """Mark a session used now, unless it has ended (idle since ``idle_since``, begun before
        ``begun_since``, or gone); whether it is still there."""
        return (
            rowcount(
                self.session.execute(
                    update(WebSession)
                    .where(
                        WebSession.id_hash == id_hash,
                        WebSession.last_seen_at >= idle_since,
                        WebSession.created_at >= begun_since,
                    )
                    .values(last_seen_at=now)
                    .execution_options(synchronize_session=False)
                )
            )
            == 1
        )

    def delete_ended(self, idle_since: datetime, begun_since: datetime) -> int:
        return rowcount(
            self.session.execute(
                delete(WebSession).where(or_(WebSession.last_seen_at < idle_since, WebSession.created_at < begun_since))
            )
        )


class SignInThrottles:
    def __init__(self, session: Session):
        self.session = session

    def _insert(self):
        dialect = self.session.get_bind().dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SignInThrottle)

    def reserve(self, account: str, address: str, limit: int, window: timedelta, now: datetime) -> datetime | None:
        """Count one more failure for a source *before* the password is verified (a right one gives it back):
        None when counted, or, when the source already has ``limit`` failures within its window, the moment
        its lock ends. Each failure keeps the count for another ``window``; one after the window starts
        a new count. Atomic: concurrent reservations never pass ``limit``."""
        self.session.execute(
            self._insert().values(account=account, address=address, failures=0, until=now).on_conflict_do_nothing()
        )
        row = self.session.execute(
            update(SignInThrottle)
            .where(
                SignInThrottle.account == account,
                SignInThrottle.address == address,
                or_(SignInThrottle.failures < limit, SignInThrottle.until <= now),
            )
            .values(
                failures=case((SignInThrottle.until <= now, 1), else_=SignInThrottle.failures + 1), until=now + window
            )
            .returning(SignInThrottle.failures)
            .execution_options(synchronize_session=False)
        ).first()
        if row is not None:
            return None
        return self.session.scalar(
            select(SignInThrottle.until).where(SignInThrottle.account == account, SignInThrottle.address == address)
        )

    def give_back(self, account: str, address: str) -> None:
        """A reserved check whose password was right is not a failure."""
        self.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.account == account, SignInThrottle.address == address, SignInThrottle.failures > 0)
            .values(failures=SignInThrottle.failures - 1)
            .execution_options(synchronize_session=False)
        )

    def succeeded(self, account: str, address: str, now: datetime) -> None:
        """A right password from this account and address: its failures are forgotten, the address known."""
        self.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.account == account, SignInThrottle.address == address)
            .values(failures=0, succeeded_at=now)
            .execution_options(synchronize_session=False)
        )

    def succeeded_at(self, account: str, address: str) -> datetime | None:
        return self.session.scalar(
            select(SignInThrottle.succeeded_at).where(
                SignInThrottle.account == account, SignInThrottle.address == address
            )
        )

    def forget_failures(self, account: str) -> None:
        """Every count of one account (from every address, and the account's own) back to nothing."""
        self.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.account == account)
            .values(failures=0)
            .execution_options(synchronize_session=False)
        )

    def locked(self, now: datetime) -> list[tuple[str, str, int]]:
        """(account, address, failures) of every count still running."""
        return [
            (account, address, failures)
            for account, address, failures in self.session.execute(
                select(SignInThrottle.account, SignInThrottle.address, SignInThrottle.failures).where(
                    SignInThrottle.until > now, SignInThrottle.failures > 0
                )
            )
        ]

    def delete_stale(self, now: datetime, known_since: datetime) -> int:
        """Counts whose window is over, unless they remember a right password since ``known_since``."""
        return rowcount(
            self.session.execute(
                delete(SignInThrottle).where(
                    SignInThrottle.until < now,
                    or_(SignInThrottle.succeeded_at.is_(None), SignInThrottle.succeeded_at < known_since),
                )
            )
        )
