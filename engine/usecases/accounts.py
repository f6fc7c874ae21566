"""Users: create one (its token is returned once), authenticate a bearer token, revoke."""

from __future__ import annotations

from ..context import EngineContext
from ..errors import Conflict, InvalidInput, NotFound
from ..persistence.models import User
from ..users import ROLES, Principal, hash_token, new_token



def add_user(ctx: EngineContext, name: str, roles: list[str], groups: list[str],
             jurisdictions: list[str]) -> str:
    errors = {}
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
                           created_at=ctx.clock.now()))
        uow.commit()
    return token


def authenticate(ctx: EngineContext, token: str) -> Principal | None:
    with ctx.reader() as uow:
        user = uow.users.by_token_hash(hash_token(token))
        if user is None or user.revoked_at is not None:
            return None
        return Principal(name=user.name, roles=frozenset(user.roles), groups=frozenset(user.groups),
                         jurisdictions=tuple(user.jurisdictions))


def revoke(ctx: EngineContext, name: str) -> None:
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        user.revoked_at = ctx.clock.now()
        uow.commit()
