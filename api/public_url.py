"""The service's public address, for the few answers that must name it absolutely (the ``.well-known`` answer
Camunda Modeler reads for its "open in Cockpit" links, the links of ``/engine-rest``).

``ONETHING_PUBLIC_URL`` (e.g. ``https://yjs.example.gov.cn``, a path prefix allowed) says it. Without it the
configured ``SERVER_NAME`` does, and without that the answers are paths on this site. The request's ``Host``
header is never echoed: it is whatever the client (or an attacker in front of a cache) chose to send.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Flask, current_app

VARIABLE = "ONETHING_PUBLIC_URL"


class BadPublicUrl(ValueError):
    """``ONETHING_PUBLIC_URL`` is not an http(s) address."""


def _checked(text: str) -> str:
    parts = urlsplit(text.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
    ):
        raise BadPublicUrl(
            f"{VARIABLE}={text!r} is not the service's address: write it as https://host[:port][/path], "
            f"without user, query or fragment"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def configure(app: Flask) -> None:
    """Read the public URL once (``PUBLIC_URL`` in the app's config, else the environment); refuse a bad one."""
    given = app.config.get("PUBLIC_URL") or os.environ.get(VARIABLE)
    if given:
        app.config["PUBLIC_URL"] = _checked(given)
    elif app.config.get("SERVER_NAME"):
        app.config["PUBLIC_URL"] = f"{app.config.get('PREFERRED_URL_SCHEME') or 'http'}://{app.config['SERVER_NAME']}"
    else:
        app.config["PUBLIC_URL"] = None


def public(path: str) -> str:
    """``path`` (from the site's root, ``/admin``) as the public URL says, or the path itself when none is set."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base}{path}" if base else path
