"""Who is calling, by network address: what sign-in limits and rate limits count by.

The address is the peer of the TCP connection (``request.remote_addr``). Behind a reverse proxy every
request comes from the proxy, so ``ONETHING_TRUSTED_PROXIES=N`` (default 0) says how many proxies of ours
stand in front and each appends to ``X-Forwarded-For``: werkzeug's ``ProxyFix`` then takes the client's
address from that header (and the scheme from ``X-Forwarded-Proto``). Never set it without such a proxy:
anyone could then choose the address they are counted under.
"""

from __future__ import annotations

import os
from functools import lru_cache

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.usecases.sign_in_limits import address_key

TRUSTED_PROXIES_VARIABLE = "ONETHING_TRUSTED_PROXIES"


def trusted_proxies(app: Flask) -> int:
    text = str(app.config.get("TRUSTED_PROXIES", os.environ.get(TRUSTED_PROXIES_VARIABLE, "0")) or "0").strip()
    if not text.isdigit() or int(text) > 10:
        raise ValueError(
            f"{TRUSTED_PROXIES_VARIABLE} is the number of reverse proxies in front (0 to 10), not {text!r}"
        )
    return int(text)


def register(app: Flask) -> None:
    count = trusted_proxies(app)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def client_address() -> str:
    """The caller's address as it is counted (an IPv6 address by its /64 network)."""
    return _counted(request.remote_addr)


@lru_cache(maxsize=4096)
def _counted(address: str | None) -> str:
    """``address_key`` remembered for the addresses seen lately (parsing an address costs several µs, and the
    same few callers -- the portal, the proxy -- send nearly every request)."""
    return address_key(address)
