"""Bearer-token authentication and the role check every endpoint declares (401 / 403)."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, request

from engine.usecases.accounts import authenticate
from engine.users import Principal


def context():
    return current_app.extensions["onething"]


def current_principal() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, "a bearer token is required")
    principal = authenticate(context(), token.strip())
    if principal is None:
        abort(401, "invalid or revoked token")
    return principal


def require(*roles: str):
    """Allow callers holding any of ``roles``; sets ``g.principal``."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if not principal.has_role(*roles):
                abort(403, f"requires role {' or '.join(roles)}")
            g.principal = principal
            return view(*args, **kwargs)

        wrapper._roles = roles
        return wrapper

    return decorate
