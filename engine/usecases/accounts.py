"""Users: create one (its token is returned once; a person may also get a password), authenticate a bearer
token or a name and password, change a password, change what a user may do, revoke.

Passwords are stored as argon2id hashes (argon2-cffi: slow and salted). Wrong ones are counted and locked
per account and client address, per address and per account (:mod:`.sign_in_limits`, on the service
clock). Every answer costs one hash verification, whether the name exists, the password is right or the
source is locked; a locked source is told until when, for an unknown name as for a known one. A new
password, a change of roles, groups or jurisdictions, and disabling end every session of the user
(:mod:`.web_sessions`).
"""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..clock import CHINA, iso
from ..context import EngineContext
from ..errors import Conflict, InvalidInput, NotFound
from ..persistence.models import User
from ..users import ROLES, Principal, hash_token, new_token
from . import sign_in_limits
from .web_sessions import SessionPolicy, end_every_session

MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# verified when the name is unknown, so an unknown name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountLocked(Exception):
    """Too many wrong passwords from this source: no password is taken from it until ``until`` (Beijing
    time), the minute rounded up."""

    def __init__(self, until) -> None:
        local = until.astimezone(CHINA)
        if local.second or local.microsecond:
            local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        super().__init__(f"too many wrong passwords: try again after {local.isoformat(timespec='minutes')}")
        self.until = local


def password_problem(password: str) -> str | None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return f"a password has at least {MIN_PASSWORD} characters"
    if len(password) > 200:
        return "a password has at most 200 characters"
    return None


def _principal(user: User) -> Principal:
    return Principal(
        name=user.name,
        roles=frozenset(user.roles),
        groups=frozenset(user.groups),
        jurisdictions=tuple(user.jurisdictions),
    )


def _access_problems(
    ctx: EngineContext, roles: list[str], groups: list[str], jurisdictions: list[str]
) -> dict[str, list[str]]:
    errors = {}
    bad_roles = [r for r in roles if r not in ROLES]
    if not roles or bad_roles:
        errors["roles"] = [f"roles must be among {', '.join(ROLES)}"]
    known = ctx.services.groups
    bad_groups = [g for g in groups if g not in known]
    if bad_groups:
        errors["groups"] = [f"unknown group(s) {', '.join(bad_groups)}; known: {', '.join(known)}"]
    if "worker" in roles and not groups:
        errors["groups"] = ["a worker fetches its department's topics: give it the department's group"]
    if any(not j.isdigit() or len(j) > 12 for j in jurisdictions):
        errors["jurisdictions"] = ["a jurisdiction is a GB/T 2260 division code prefix, e.g. 62 or 620102"]
    return errors


def add_user(
    ctx: EngineContext,
    name: str,
    roles: list[str],
    groups: list[str],
    jurisdictions: list[str],
    password: str | None = None,
) -> str:
    errors: dict[str, list[str]] = {}
    if password is not None and (problem := password_problem(password)):
        errors["password"] = [problem]
    if not name.strip():
        errors["name"] = ["required"]
    errors.update(_access_problems(ctx, roles, groups, jurisdictions))
    if errors:
        raise InvalidInput("invalid user", errors)
    token = new_token()
    with ctx.uow() as uow:
        if uow.users.by_name(name) is not None:
            raise Conflict(f"user {name!r} exists")
        uow.users.add(
            User(
                name=name,
                token_hash=hash_token(token),
                roles=sorted(set(roles)),
                groups=sorted(set(groups)),
                jurisdictions=sorted(set(jurisdictions)),
                created_at=ctx.clock.now(),
                password_hash=_HASHER.hash(password) if password is not None else None,
            )
        )
        uow.commit()
    return token


def authenticate(ctx: EngineContext, token: str) -> Principal | None:
    with ctx.reader() as uow:
        found = uow.users.access_by_token_hash(hash_token(token))
    if found is None:
        return None
    name, roles, groups, jurisdictions = found
    return Principal(name=name, roles=frozenset(roles), groups=frozenset(groups), jurisdictions=tuple(jurisdictions))


def set_password(ctx: EngineContext, name: str, password: str) -> None:
    """Give a user a (new) password: unlocks the account and ends every session of the user."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput("invalid password", {"password": [problem]})
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        user.password_hash = _HASHER.hash(password)
        sign_in_limits.forget(uow, name)
        end_every_session(uow, name)
        uow.commit()


def change_access(
    ctx: EngineContext, name: str, roles: list[str], groups: list[str], jurisdictions: list[str], by: str | None = None
) -> bool:
    """Give a user other roles, groups or jurisdictions; every session of the user ends with the change.
    Whether anything changed. Taking the admin role from oneself (``by``) or from the last admin is refused."""
    errors = _access_problems(ctx, roles, groups, jurisdictions)
    if errors:
        raise InvalidInput("invalid user", errors)
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        wanted = (sorted(set(roles)), sorted(set(groups)), sorted(set(jurisdictions)))
        if (sorted(user.roles), sorted(user.groups), sorted(user.jurisdictions)) == wanted:
            return False
        _check_keeps_an_admin(uow, user, still_admin="admin" in roles, by=by)
        user.roles, user.groups, user.jurisdictions = wanted
        end_every_session(uow, name)
        uow.commit()
    return True


def authenticate_password(ctx: EngineContext, name: str, password: str, address: str | None) -> Principal | None:
    """The user of this name and password from this client address, or None; :class:`AccountLocked` when
    the source has had too many wrong passwords. The check is counted before the hash is verified (so
    concurrent guesses never get past a limit) and a hash is verified in every case (an unknown name, a
    disabled user, a locked source), so neither the answer nor its time tells whether the name exists."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        reservation = sign_in_limits.reserve(uow, name, address, now)
        user = uow.users.by_name(name)
        stored: str | None = None
        principal: Principal | None = None
        if user is not None and user.revoked_at is None and user.password_hash is not None:
            stored, principal = user.password_hash, _principal(user)
        if reservation.locked_until is None:
            uow.commit()
    if reservation.locked_until is not None:
        stored = None  # the same work, but never a guess at the real password
    try:
        ok = _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if reservation.locked_until is not None:
        raise AccountLocked(reservation.locked_until)
    if not ok or stored is None:  # (ok: a stored hash verified)
        return None
    with ctx.uow() as uow:
        sign_in_limits.succeeded(uow, reservation, now)
        user = uow.users.by_name(name)
        if user is not None and _HASHER.check_needs_rehash(stored):
            user.password_hash = _HASHER.hash(password)
        uow.commit()
    return principal


class AccountChangeRefused(Conflict):
    """A change that would leave the service without an admin, or an admin disabling or demoting itself
    (``reason``: ``last_admin`` or ``self``); nothing changed."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _other_admins(uow, name: str) -> int:
    return sum(1 for u in uow.users.all() if u.name != name and u.revoked_at is None and "admin" in u.roles)


def _check_keeps_an_admin(uow, user: User, still_admin: bool, by: str | None) -> None:
    """Refuse taking the admin role (disabling, or a change of roles) from oneself or from the last admin."""
    if "admin" not in user.roles or user.revoked_at is not None or still_admin:
        return
    if by is not None and by == user.name:
        raise AccountChangeRefused("self", "an admin cannot disable itself or take its own admin role")
    if _other_admins(uow, user.name) == 0:
        raise AccountChangeRefused("last_admin", f"{user.name} is the last admin: add another admin first")


def revoke(ctx: EngineContext, name: str, by: str | None = None) -> None:
    """Disable a user: its token, its password and its sessions. Nobody disables itself (``by``: who asks)
    and the last enabled admin stays (:class:`AccountChangeRefused`)."""
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        if by is not None and by == name:
            raise AccountChangeRefused("self", "a user cannot disable itself")
        _check_keeps_an_admin(uow, user, still_admin=False, by=by)
        if user.revoked_at is None:
            user.revoked_at = ctx.clock.now()
        end_every_session(uow, name)
        uow.commit()


def enable(ctx: EngineContext, name: str) -> bool:
    """Enable a disabled user again: its token and password work again (its sessions ended when it was
    disabled). Whether it was disabled."""
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        if user.revoked_at is None:
            return False
        user.revoked_at = None
        uow.commit()
    return True


def principal_of(ctx: EngineContext, name: str) -> Principal | None:
    """The signed-in user of a web session, as the database has it now (None: gone or disabled)."""
    with ctx.reader() as uow:
        user = uow.users.by_name(name)
        return _principal(user) if user is not None and user.revoked_at is None else None


def people_of(ctx: EngineContext) -> dict[str, dict]:
    """Every user's roles and groups by name (for naming who did something): nothing secret."""
    with ctx.reader() as uow:
        return {u.name: {"roles": list(u.roles), "groups": list(u.groups)} for u in uow.users.all()}


def list_users(ctx: EngineContext) -> list[dict]:
    """Every user; ``locked``: ``everywhere`` (too many wrong passwords from many places), ``somewhere``
    (from some address only), or None."""
    with ctx.reader() as uow:
        locks = sign_in_limits.locks(uow, ctx.clock.now())
        return [
            {
                "name": u.name,
                "roles": list(u.roles),
                "groups": list(u.groups),
                "jurisdictions": list(u.jurisdictions),
                "disabled": u.revoked_at is not None,
                "disabled_at": iso(u.revoked_at) if u.revoked_at else None,
                "has_password": u.password_hash is not None,
                "locked": locks.get(sign_in_limits.account_key(u.name)),
            }
            for u in uow.users.all()
        ]


def user_access(ctx: EngineContext, name: str) -> dict:
    """One user's roles, groups and jurisdictions (to change them)."""
    with ctx.reader() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        return {
            "name": user.name,
            "roles": list(user.roles),
            "groups": list(user.groups),
            "jurisdictions": list(user.jurisdictions),
            "disabled": user.revoked_at is not None,
        }


def forget_what_has_ended(ctx: EngineContext, policy: SessionPolicy) -> int:
    """Delete the sessions that have ended and the failure counts whose window is over (refused or ignored
    anyway: this keeps the tables small); how many rows went."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        count = uow.web_sessions.delete_ended(now - policy.idle, now - policy.lifetime)
        count += sign_in_limits.prune(uow, now)
        uow.commit()
    return count
