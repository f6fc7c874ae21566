"""Users: create one (its token is returned once; a person may also get a password), authenticate a bearer
token or a name and password, change a password, revoke.

Passwords are stored as argon2id hashes (argon2-cffi: slow and salted). Five wrong passwords in a row lock
the account for 15 minutes (the service clock); a right one resets the count.
"""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..context import EngineContext
from ..errors import Conflict, InvalidInput, NotFound
from ..persistence.models import User
from ..users import ROLES, Principal, hash_token, new_token

MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
_HASHER = PasswordHasher()
# verified when the name is unknown, so an unknown name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountLocked(Exception):
    """Too many wrong passwords: the account is locked until ``until``."""

    def __init__(self, until) -> None:
        super().__init__(f"too many wrong passwords: try again after {until.isoformat(timespec='minutes')}")
        self.until = until


def password_problem(password: str) -> str | None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return f"a password has at least {MIN_PASSWORD} characters"
    if len(password) > 200:
        return "a password has at most 200 characters"
    return None


def _principal(user: User) -> Principal:
    return Principal(name=user.name, roles=frozenset(user.roles), groups=frozenset(user.groups),
                     jurisdictions=tuple(user.jurisdictions))



def add_user(ctx: EngineContext, name: str, roles: list[str], groups: list[str],
             jurisdictions: list[str], password: str | None = None) -> str:
    errors = {}
    if password is not None and password_problem(password):
        errors["password"] = [password_problem(password)]
    if not name.strip():
        errors["name"] = ["required"]
    bad_roles = [r for r in roles if r not in ROLES]
    if not roles or bad_roles:
        errors["roles"] = [f"roles must be among {', '.join(ROLES)}"]
    known = ctx.services.groups
    bad_groups = [g for g in groups if g not in known]
    if bad_groups:
        errors["groups"] = [f"unknown group(s) {', '.join(bad_groups)}; known: {', '.join(known)}"]
    if any(not j.isdigit() or len(j) > 12 for j in jurisdictions):
        errors["jurisdictions"] = ["a jurisdiction is a GB/T 2260 division code prefix, e.g. 62 or 620102"]
    if errors:
        raise InvalidInput("invalid user", errors)
    token = new_token()
    with ctx.uow() as uow:
        if uow.users.by_name(name) is not None:
            raise Conflict(f"user {name!r} exists")
        uow.users.add(User(name=name, token_hash=hash_token(token), roles=sorted(set(roles)),
                           groups=sorted(set(groups)), jurisdictions=sorted(set(jurisdictions)),
                           created_at=ctx.clock.now(), failed_logins=0,
                           password_hash=_HASHER.hash(password) if password is not None else None))
        uow.commit()
    return token


def authenticate(ctx: EngineContext, token: str) -> Principal | None:
    with ctx.reader() as uow:
        user = uow.users.by_token_hash(hash_token(token))
        if user is None or user.revoked_at is not None:
            return None
        return _principal(user)


def set_password(ctx: EngineContext, name: str, password: str) -> None:
    """Give a user a (new) password; unlocks the account."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput("invalid password", {"password": [problem]})
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        user.password_hash = _HASHER.hash(password)
        user.failed_logins, user.locked_until = 0, None
        uow.commit()


def authenticate_password(ctx: EngineContext, name: str, password: str) -> Principal | None:
    """The user of this name and password, or None; :class:`AccountLocked` after too many failures. A right
    password writes nothing unless it clears earlier failures (no write lock on every request)."""
    now = ctx.clock.now()
    with ctx.reader() as uow:
        user = uow.users.by_name(name)
        usable = user is not None and user.revoked_at is None and user.password_hash is not None
        stored = user.password_hash if usable else None
        failures = (user.failed_logins or 0) if usable else 0
        locked_until = user.locked_until if usable else None
        principal = _principal(user) if usable else None
    if locked_until is not None and locked_until > now:
        raise AccountLocked(locked_until)
    try:
        ok = _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if stored is None:
        return None
    if ok and not failures and not locked_until and not _HASHER.check_needs_rehash(stored):
        return principal
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if ok:
            user.failed_logins, user.locked_until = 0, None
            if _HASHER.check_needs_rehash(stored):
                user.password_hash = _HASHER.hash(password)
        else:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILURES:
                user.failed_logins, user.locked_until = 0, now + LOCK_FOR
        uow.commit()
    return principal if ok else None


def revoke(ctx: EngineContext, name: str) -> None:
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        user.revoked_at = ctx.clock.now()
        uow.commit()


def principal_of(ctx: EngineContext, name: str) -> Principal | None:
    """The signed-in user of a web session, as the database has it now (None: gone or disabled)."""
    with ctx.reader() as uow:
        user = uow.users.by_name(name)
        return _principal(user) if user is not None and user.revoked_at is None else None


def list_users(ctx: EngineContext) -> list[dict]:
    with ctx.reader() as uow:
        return [{"name": u.name, "roles": list(u.roles), "groups": list(u.groups),
                 "jurisdictions": list(u.jurisdictions), "disabled": u.revoked_at is not None,
                 "has_password": u.password_hash is not None,
                 "locked": u.locked_until is not None and u.locked_until > ctx.clock.now()}
                for u in uow.users.all()]
