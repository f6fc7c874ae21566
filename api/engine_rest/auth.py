"""Who calls the facade: people with HTTP Basic (their name and password), machines with ``Bearer`` (their
token); a header that is neither (Camunda Modeler sends ``authorization: undefined`` when nothing was
entered) is no credentials. Refusals in Camunda's shape: 401 with ``WWW-Authenticate``, 403."""

from __future__ import annotations

from flask import request

from engine.usecases.accounts import AccountLocked, authenticate, authenticate_password
from engine.users import Principal

from ..guard import NotBasic, basic_credentials, bearer_token, context, guarded
from .camunda import RestError

DEPLOYERS = ("analyst", "admin")
READERS = ("analyst", "admin", "supervisor")
STARTERS = ("portal", "analyst", "admin")
REALM = 'Basic realm="onething engine-rest", charset="UTF-8"'


def caller() -> Principal:
    """The caller, or RestError 401 (no credentials, or credentials that do not match)."""
    header = request.headers.get("Authorization", "")
    try:
        basic = basic_credentials(header)
    except NotBasic:
        raise RestError(401, "AuthenticationException", "Authentication required") from None
    principal = None
    if basic is not None:
        try:
            principal = authenticate_password(context(), *basic, request.remote_addr)
        except AccountLocked as err:
            raise RestError(401, "AuthenticationException", f"{err}") from None
    else:
        token = bearer_token(header)
        if token is None:
            raise RestError(401, "AuthenticationException", "Authentication required")
        principal = authenticate(context(), token)
    if principal is None:
        raise RestError(401, "AuthenticationException", "Credentials do not match")
    return principal


def _refused(principal: Principal, roles: tuple[str, ...]):
    raise RestError(
        403,
        "AuthorizationException",
        f"{principal.name} is not allowed to do this here (requires {' or '.join(roles)})",
    )


def require(*roles: str):
    """A facade view for callers holding one of ``roles``; the view gets the principal first."""
    return guarded(roles, caller, unknown=lambda: None, refused=lambda p: _refused(p, roles), pass_principal=True)
