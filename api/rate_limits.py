"""Rate limits per client, counted by ``limits`` (the library under Flask-Limiter), checked before anything
else a request does, answered 429 with ``Retry-After`` in the shape of where it was sent: Camunda's error on
``/engine-rest``, problem+json on ``/api``, a Chinese page on the workplace.

- ``passwords`` (``ONETHING_RATE_LIMIT_PASSWORDS``, 30 per minute): sign-ins (``POST /login``) and HTTP
  Basic requests on ``/engine-rest``, per client address -- each costs an argon2 verification;
- ``refused`` (``ONETHING_RATE_LIMIT_REFUSED``, 300 per minute): answers 401 on ``/api`` and
  ``/engine-rest`` (bad or no credentials), per client address -- a flood of made-up tokens;
- ``api`` (``ONETHING_RATE_LIMIT_API``, 10000 per minute): requests to ``/api`` and ``/engine-rest``, per
  caller: its bearer token, else its address (generous: the portal is one caller for every parent);
- ``pages`` (``ONETHING_RATE_LIMIT_PAGES``, 600 per minute): the workplace's pages (not their static files),
  per client address.

A value is the notation of the ``limits`` library (``30 per minute``, ``5/second;100/hour``). The counts are kept in
memory, per process (a sliding window): checking them costs no database round trip, so a flood is turned
away without touching the database, and losing them at a restart loses nothing that matters (the locks on
wrong passwords, which must be exact and shared, are in the database). With N processes a client gets up to
N times a limit. The client address is :mod:`.client_address`'s.

The check is :class:`RateLimits`, a few lines over ``limits``' strategy and storage doing what Flask-Limiter's
application limits did (the same counts under the same keys, the shortest window first, the first breach
answered) without its per-request machinery, which cost about 150 µs a request -- more than all the app's
other hooks together: only the limits that apply to where a request goes are looked at, and each key is
worked out once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from werkzeug.exceptions import TooManyRequests

from .client_address import client_address
from .errors import problem

DEFAULTS = {
    "passwords": "30 per minute",
    "refused": "300 per minute",
    "api": "10000 per minute",
    "pages": "600 per minute",
}

log = logging.getLogger(__name__)


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
    ``limits`` cannot read stops the start with the variable's name."""
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


def carries_password(where: str | None = None) -> bool:
    if request.endpoint == "web.login":
        return request.method == "POST"
    scheme = request.headers.get("Authorization", "").strip().partition(" ")[0]
    return (where or area()) == "engine_rest" and scheme.lower() == "basic"


def caller() -> str:
    """A machine by its bearer token (several behind one address count apart), else by its address."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return client_address()


@dataclass(frozen=True)
class Rule:
    """One limit of one scope: where it applies (given :func:`area`), whom it counts (``key``), and whether a
    request is counted before it is served or only after, when it was answered 401 (``refused``)."""

    scope: str
    item: RateLimitItem
    applies: Callable[[str], bool]
    key: Callable[[], str]
    counts_refusals: bool = False


class RateLimited(TooManyRequests):
    """A limit was reached: the rule and whom it counted (for the time to wait)."""

    def __init__(self, rule: Rule, identifiers: tuple[str, str]) -> None:
        super().__init__(description=str(rule.item))
        self.rule, self.identifiers = rule, identifiers


class RateLimits:
    """The four scopes' limits over one in-memory storage, shortest window first (ties in the scopes' order):
    a request is counted in each that applies until one is reached, which is answered 429."""

    def __init__(self, limits: dict[str, str]) -> None:
        self.limiter = SlidingWindowCounterRateLimiter(SweptMemoryStorage())
        scopes: tuple[tuple[str, Callable[[str], bool], Callable[[], str], bool], ...] = (
            ("passwords", carries_password, client_address, False),
            ("refused", lambda where: where != "pages", client_address, True),
            ("api", lambda where: where != "pages", caller, False),
            ("pages", lambda where: where == "pages", client_address, False),
        )
        rules = [
            Rule(scope, item, applies, key, refusals)
            for scope, applies, key, refusals in scopes
            for item in parse_many(limits[scope])
        ]
        self.rules = sorted(rules, key=lambda rule: rule.item)  # stable: by window, then as listed

    def check(self) -> None:
        """``before_request``: count the request; 429 when a limit is reached. A path no route serves and our
        static files are not counted."""
        endpoint = request.endpoint
        if not endpoint or endpoint.rpartition(".")[2] == "static":
            return
        where, keys, refusals = area(), {}, []
        for rule in self.rules:
            if not rule.applies(where):
                continue
            key = keys.get(rule.key)
            if key is None:
                key = keys[rule.key] = rule.key()
            if not key:
                continue
            identifiers = (key, rule.scope)
            if rule.counts_refusals:
                refusals.append((rule.item, identifiers))
                g.rate_limit_refusals = refusals
                within = self.limiter.test(rule.item, *identifiers)
            else:
                within = self.limiter.hit(rule.item, *identifiers)
            if not within:
                log.info("rate limit %s of %s reached", rule.item, rule.scope)
                raise RateLimited(rule, identifiers)

    def count_refusal(self, response: Response) -> Response:
        """``after_request``: an answer 401 counts in ``refused``."""
        refusals = g.pop("rate_limit_refusals", ())
        if response.status_code == 401:
            for item, identifiers in refusals:
                self.limiter.hit(item, *identifiers)
        return response

    def seconds_to_wait(self, err: RateLimited) -> int:
        reset, _remaining = self.limiter.get_window_stats(err.rule.item, *err.identifiers)
        return max(1, math.ceil(int(reset + 1) - time.time()))


def register(app: Flask) -> None:
    limits = RateLimits(configured_limits(app))
    app.extensions["onething_rate_limits"] = limits
    app.before_request(limits.check)
    app.after_request(limits.count_refusal)
    app.register_error_handler(RateLimited, too_many_requests)


def too_many_requests(err: RateLimited):
    wait = current_app.extensions["onething_rate_limits"].seconds_to_wait(err)
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
