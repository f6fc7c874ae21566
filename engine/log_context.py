"""What a log line is about: the request id, the business key, the user and the route of the work in hand.

They are context variables, so each thread (a request of the API, a job of the worker) has its own: the API
sets the request id (``X-Request-ID``, or one minted), the route and the user; loading or saving an instance
sets its business key; the worker sets the request id a job was made with (``jobs.request_id``), so that its
lines for an application share the id of the request that started the work. :class:`ContextFilter`, on a
handler, copies them onto every record it writes (JSON output prints them; ``engine.logs``).

None of these is a personal value: a request id is random (or the caller's, checked to be a short token),
a business key a service's number, a user a staff or portal account's name, a route a template.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("request_id", "business_key", "user", "route")
_VARIABLES: dict[str, ContextVar[str | None]] = {name: ContextVar(f"onething_{name}", default=None) for name in FIELDS}
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")  # what a caller's X-Request-ID may be


def request_id_from(header: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a short token (letters, digits, ``.``, ``_``, ``:``, ``-``; at
    most 64), else a new one: nothing a caller sends reaches the logs unchecked."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current(name: str) -> str | None:
    return _VARIABLES[name].get()


def current_request_id() -> str | None:
    return _VARIABLES["request_id"].get()


def set_fields(**fields: str | None) -> None:
    """Set fields for the rest of the work in hand (a request's thread resets them with :func:`clear`)."""
    for name, value in fields.items():
        _VARIABLES[name].set(value)


def clear() -> None:
    for variable in _VARIABLES.values():
        variable.set(None)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Fields set for the block only, as they were after it."""
    tokens = [(_VARIABLES[name], _VARIABLES[name].set(value)) for name, value in fields.items()]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


class ContextFilter(logging.Filter):
    """Puts the fields that are set on every record a handler writes (``record.request_id`` …)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in _VARIABLES.items():
            value = variable.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True
