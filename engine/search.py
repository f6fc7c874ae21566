"""Finding applications by what people know of them (an ID number, a phone, a name) without keeping a second
plain copy of it: each search key a service gives (:attr:`engine.service.Started.search_keys`,
:meth:`engine.service.Search.keys_after_step`) is stored as a keyed digest, HMAC-SHA-256 over its kind and
normalised value, and a query is read by the services into the same digests.

The key is ``ONETHING_SEARCH_KEY``, else derived from ``ONETHING_SECRET_KEY``, else from the instance's own
``secret_key`` file (the one the pages sign with): the same on every API process, kept out of the database,
so that a copy of the database alone cannot test guessed ID numbers against the digests. Changing it makes
the stored digests unfindable until ``onething search reindex`` writes them again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

from .secret import service_secret

MAX_QUERY = 100  # characters of a typed query


def key_from_environment() -> bytes:
    """The digests' key (see the module's text); made once in the instance folder when nothing is set."""
    own = os.environ.get("ONETHING_SEARCH_KEY", "").strip()
    if own:
        return own.encode("utf-8")
    secret = service_secret()
    return hmac.new(secret.encode("utf-8"), b"onething search keys", hashlib.sha256).digest()


class SearchDigests:
    """Digests of search keys under one key (lazily read: a context that never searches reads nothing)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = key_from_environment()
        return self._key

    def digest(self, kind: str, value: str) -> str:
        return hmac.new(self.key, f"{kind}\x1f{value}".encode("utf-8"), hashlib.sha256).hexdigest()

    def of(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """(kind, digest) of each (kind, value) with a value."""
        return {(kind, self.digest(kind, value)) for kind, value in keys if kind and value}
