"""``/api``'s callers: a bearer token, and the role check every endpoint declares (401 / 403 problem+json)."""

from __future__ import annotations

from flask import abort, request

from engine.usecases.accounts import authenticate
from engine.users import Principal

from .guard import bearer_token, context, guarded

__all__ = ["context", "require"]


def _by_token() -> Principal | None:
    token = bearer_token(request.headers.get("Authorization", ""))
    if token is None:
        abort(401, "a bearer token is required")
    principal = authenticate(context(), token)
    if principal is None:
        abort(401, "invalid or revoked token")
    return principal


def _forbidden(principal: Principal, roles: tuple[str, ...]):
    abort(403, f"requires role {' or '.join(roles)}")


def require(*roles: str):
    """Allow callers holding any of ``roles``; sets ``g.principal``."""
    return guarded(roles, _by_token, unknown=lambda: abort(401), refused=lambda p: _forbidden(p, roles))
