"""Rate limits per client (Flask-Limiter), checked before anything else a request does, answered 429 with
``Retry-After`` in the shape of where it was sent: Camunda's error on ``/engine-rest``, problem+json on
``/api``, a Chinese page on the workplace.

- ``passwords`` (``ONETHING_RATE_LIMIT_PASSWORDS``, 30 per minute): sign-ins (``POST /login``) and HTTP
  Basic requests on ``/engine-rest``, per client address -- each costs an argon2 verification;
- ``refused`` (``ONETHING_RATE_LIMIT_REFUSED``, 300 per minute): answers 401 on ``/api`` and
  ``/engine-rest`` (bad or no credentials), per client address -- a flood of made-up tokens;
- ``api`` (``ONETHING_RATE_LIMIT_API``, 10000 per minute): requests to ``/api`` and ``/engine-rest``, per
  caller: its bearer token, else its address (generous: the portal is one caller for every parent);
- ``pages`` (``ONETHING_RATE_LIMIT_PAGES``, 600 per minute): the workplace's pages (not their static files),
  per client address.

A value is Flask-Limiter's notation (``30 per minute``, ``5/second;100/hour``). The counts are kept in
memory, per process (a sliding window): checking them costs no database round trip, so a flood is turned
away without touching the database, and losing them at a restart loses nothing that matters (the locks on
wrong passwords, which must be exact and shared, are in the database). With N processes a client gets up to
N times a limit. The client address is :mod:`.client_address`'s.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from functools import partial

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from limits import parse_many
from limits.storage import MemoryStorage

from .client_address import client_address
from .errors import problem

DEFAULTS = {
    "passwords": "30 per minute",
    "refused": "300 per minute",
    "api": "10000 per minute",
    "pages": "600 per minute",
}


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage without a thread per request: ``MemoryStorage`` starts a ``threading.Timer``
    to drop expired counts whenever its last one has finished, i.e. for nearly every request when they come
    more than 10 ms apart (a thread start costs more than the rest of the check). Here a hit drops them
    itself, at most once a second; a count is also checked for expiry whenever it is read."""

    STORAGE_SCHEME = ["onething-memory"]
    SWEEP_EVERY = 1.0

    def __init__(self, uri: str | None = None, **options) -> None:
        super().__init__(uri, **options)
        self._swept, self._sweeping = time.monotonic(), threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer MemoryStorage would start
        now = time.monotonic()
        if now - self._swept < self.SWEEP_EVERY or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._swept = now
            self._MemoryStorage__expire_events()
        finally:
            self._sweeping.release()


def variable(name: str) -> str:
    return f"ONETHING_RATE_LIMIT_{name.upper()}"


def configured_limits(app: Flask) -> dict[str, str]:
    """The limits in force: ``app.config["RATE_LIMITS"]``, else the environment, else the defaults; a value
    Flask-Limiter cannot read stops the start with the variable's name."""
    configured = app.config.get("RATE_LIMITS") or {}
    found = {}
    for name, default in DEFAULTS.items():
        value = configured.get(name) or os.environ.get(variable(name)) or default
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{variable(name)}: {value!r} is not a rate limit (e.g. {default!r})") from None
        found[name] = value
    return found


def area() -> str:
    """``api``, ``engine_rest`` or ``pages``: where the request goes."""
    path = request.path
    if path == "/api" or path.startswith("/api/"):
        return "api"
    prefix = current_app.config.get("ENGINE_REST_PATH") or "/engine-rest"
    if path == prefix or path.startswith(prefix + "/"):
        return "engine_rest"
    return "pages"


def carries_password() -> bool:
    if request.endpoint == "web.login":
        return request.method == "POST"
    scheme = request.headers.get("Authorization", "").strip().partition(" ")[0]
    return area() == "engine_rest" and scheme.lower() == "basic"


def caller() -> str:
    """A machine by its bearer token (several behind one address count apart), else by its address."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return client_address()


def register(app: Flask) -> None:
    limits = configured_limits(app)
    limiter = Limiter(
        client_address,
        storage_uri="onething-memory://",
        strategy="sliding-window-counter",
        application_limits=[
            ApplicationLimit(limits["passwords"], scope="passwords", exempt_when=lambda: not carries_password()),
            ApplicationLimit(
                limits["refused"],
                scope="refused",
                exempt_when=lambda: area() == "pages",
                deduct_when=lambda response: response.status_code == 401,
            ),
            ApplicationLimit(limits["api"], scope="api", key_function=caller, exempt_when=lambda: area() == "pages"),
            ApplicationLimit(limits["pages"], scope="pages", exempt_when=lambda: area() != "pages"),
        ],
    )
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, partial(too_many_requests, limiter))


def too_many_requests(limiter: Limiter, err: RateLimitExceeded):
    breached = limiter.current_limit
    wait = max(1, math.ceil(breached.reset_at - time.time())) if breached is not None else 60
    where = area()
    if where == "engine_rest":
        response = jsonify(
            {
                "type": "RestException",
                "code": 0,
                "message": f"Too many requests from this client: try again in {wait} s",
            }
        )
    elif where == "api":
        response = problem(429, f"too many requests from this client: try again in {wait} s", title="Too Many Requests")
    else:
        response = current_app.make_response(
            render_template("error.html", title="请求过于频繁", message=f"请求过于频繁，请{wait}秒后再试。")
        )
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response
