"""The pages' sessions, kept on the server: the browser's cookie carries a random id (256 bits), the database
its SHA-256 with what the session holds. A session ends when its user signs out, gets a new password, is
disabled or has their roles, groups or jurisdictions changed (every session of that user ends), after
``idle`` without a request, and ``lifetime`` after it began, whatever happens, on the service clock.
Signing in always begins a new session (a new id): an id known before signing in is never the one after.

``ONETHING_SESSION_IDLE_MINUTES`` (default 30) and ``ONETHING_SESSION_LIFETIME_HOURS`` (default 12) set the
two limits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..context import EngineContext
from ..persistence.models import WebSession
from ..persistence.unit_of_work import UnitOfWork
from ..users import hash_token, new_token

IDLE_VARIABLE, LIFETIME_VARIABLE = "ONETHING_SESSION_IDLE_MINUTES", "ONETHING_SESSION_LIFETIME_HOURS"
TOUCH_EVERY = timedelta(minutes=1)  # how stale "last used" may be (a write per minute, not per request)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)

    @classmethod
    def from_environment(cls) -> "SessionPolicy":
        """The limits from the environment; a value that is not a positive number is refused at start."""

        def read(variable: str, default: float) -> float:
            text = os.environ.get(variable, "").strip()
            if not text:
                return default
            try:
                value = float(text)
            except ValueError:
                value = 0
            if not 0 < value <= 10_000:
                raise ValueError(f"{variable} must be a positive number (got {text!r})")
            return value

        return cls(
            idle=timedelta(minutes=read(IDLE_VARIABLE, 30)), lifetime=timedelta(hours=read(LIFETIME_VARIABLE, 12))
        )

    def ended(self, row: WebSession, now: datetime) -> bool:
        return row.last_seen_at < now - self.idle or row.created_at < now - self.lifetime


@dataclass(frozen=True)
class StoredSession:
    data: dict
    user: str | None
    last_seen_at: datetime


def load(ctx: EngineContext, session_id: str, policy: SessionPolicy) -> StoredSession | None:
    """The session a cookie names, or None: unknown, ended, or its user disabled."""
    now = ctx.clock.now()
    with ctx.reader() as uow:
        row = uow.web_sessions.get(hash_token(session_id))
        if row is None or policy.ended(row, now):
            return None
        if row.user_name is not None:
            user = uow.users.by_name(row.user_name)
            if user is None or user.revoked_at is not None:
                return None
        return StoredSession(dict(row.data), row.user_name, row.last_seen_at)


def store(
    ctx: EngineContext, session_id: str | None, data: dict, policy: SessionPolicy, renew: bool = False
) -> str | None:
    """Keep what a session holds; the id to give the browser. A new session (no id, or ``renew``: signing in)
    gets a new id and the old one ends. None when the session ended meanwhile (signed out elsewhere, timed
    out): nothing is kept and it is not brought back."""
    now = ctx.clock.now()
    user = data.get("user")
    with ctx.uow() as uow:
        row = uow.web_sessions.get(hash_token(session_id)) if session_id else None
        if row is not None and renew:
            uow.web_sessions.delete(row.id_hash)
            row = None
        elif session_id and not renew and (row is None or policy.ended(row, now)):
            if row is not None:
                uow.web_sessions.delete(row.id_hash)
                uow.commit()
            return None
        if row is None:
            session_id = new_token()
            uow.web_sessions.add(
                WebSession(id_hash=hash_token(session_id), user_name=user, data=data, created_at=now, last_seen_at=now)
            )
        else:
            row.data, row.user_name, row.last_seen_at = data, user, now
        uow.commit()
    return session_id


def touch(ctx: EngineContext, session_id: str, policy: SessionPolicy) -> None:
    """Note that a session was used (it stays alive ``idle`` longer), unless it has ended."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        uow.web_sessions.touch(hash_token(session_id), now, now - policy.idle, now - policy.lifetime)
        uow.commit()


def end(ctx: EngineContext, session_id: str) -> None:
    with ctx.uow() as uow:
        uow.web_sessions.delete(hash_token(session_id))
        uow.commit()


def sign_out(ctx: EngineContext, user_name: str) -> int:
    """Signing out ends every session of the user (on every computer); how many there were."""
    with ctx.uow() as uow:
        ended = end_every_session(uow, user_name)
        uow.commit()
    return ended


def end_every_session(uow: UnitOfWork, user_name: str) -> int:
    """Inside a use case that changes what a user may do: their sessions end with it, in one commit."""
    return uow.web_sessions.delete_of_user(user_name)
