"""One read transaction per request (issue 26): the caller is identified and the view read in the same
read-only unit of work (:mod:`engine.persistence.shared_reads`), opened at the request's first read and
closed when the request ends, however it ends. A write or a wait inside the request ends the sharing early."""

from __future__ import annotations

from flask import Flask

from engine.context import EngineContext
from engine.persistence import shared_reads


def register(app: Flask, ctx: EngineContext) -> None:
    """Before every other hook that may read: each request shares its reads."""
    app.before_request(lambda: shared_reads.begin(ctx.sessions, ctx.own_reader) and None)
    app.teardown_request(lambda _error: shared_reads.finish())
