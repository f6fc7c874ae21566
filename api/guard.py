"""What every door of the app shares about who is calling: the engine context it was built over, the parts of
the ``Authorization`` header (a bearer token, HTTP Basic name and password), and the one decorator that lets
a view run only for a caller holding one of its roles.

Each door says how it identifies a caller and how it refuses one: ``/api`` by bearer token with problem+json,
the pages by their server-side session with a redirect or a Chinese page, ``/engine-rest`` by Basic or Bearer
in Camunda's error shape.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g

from engine import log_context
from engine.context import EngineContext
from engine.users import Principal


def context() -> EngineContext:
    """The engine context the app was built over."""
    return current_app.extensions["onething"]


def bearer_token(header: str) -> str | None:
    """The token of ``Bearer <token>``, else None."""
    scheme, _, value = header.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class NotBasic(Exception):
    """A Basic header that is not ``base64(name:password)``."""


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(name, password) of ``Basic base64(name:password)``; None for another scheme or none; NotBasic when
    a Basic header cannot be read."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        name, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotBasic() from None
    if not sep or not name:
        raise NotBasic()
    return name, password


def guarded(
    roles: tuple[str, ...],
    identify: Callable[[], Principal | None],
    *,
    unknown: Callable[[], Any],
    refused: Callable[[Principal], Any],
    pass_principal: bool = False,
):
    """A decorator: ``identify`` the caller (``unknown()`` answers when there is none), check it holds one of
    ``roles`` (any role when empty; ``refused(principal)`` answers otherwise), set ``g.principal`` and run the
    view (with the principal as first argument when ``pass_principal``)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = identify()
            if principal is None:
                return unknown()
            if roles and not principal.has_role(*roles):
                return refused(principal)
            g.principal = principal
            log_context.set_fields(user=principal.name)  # the request's log lines say who
            return view(principal, *args, **kwargs) if pass_principal else view(*args, **kwargs)

        wrapper._roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorate
