"""Requests that wait for a change, as HTTP answers (issue 26): how many of a process may wait at once -- each
holds one of the server's threads: at most ``ONETHING_PUSH_WAITERS`` (``onething serve``: half its threads;
else 16), one more is answered 503 with ``Retry-After`` -- and server-sent event streams (``text/event-stream``:
a ``retry:`` first, events, comment lines as heartbeats), which give their place back however they end.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from flask import Flask, Response, current_app, request

from engine import metrics

from .errors import problem

log = logging.getLogger(__name__)

PUSH_WAITERS = "ONETHING_PUSH_WAITERS"  # the setting (environment; ``onething serve`` gives a default)
DEFAULT_WAITERS = 16
STREAM_SECONDS = "PUSH_STREAM_SECONDS"  # how long one event stream lasts before the client reconnects
BEAT_SECONDS = "PUSH_BEAT_SECONDS"  # a heartbeat after this long without an event
RETRY_MS = 3000  # what EventSource waits before it reconnects
RETRY_LATER_MS = 30_000  # ... when no waiter's place was free for a page's stream
RETRY_AFTER_SECONDS = 2  # what a refused waiter is told to wait
WARN_EVERY_SECONDS = 60.0


class Waiters:
    """How many requests of this process wait for a change now, and how many may."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._lock = threading.Lock()
        self._warned = float("-inf")

    def take(self) -> bool:
        with self._lock:
            if self.count < self.limit:
                self.count += 1
                metrics.push_waiters.inc()
                return True
            warn = time.monotonic() - self._warned > WARN_EVERY_SECONDS
            if warn:
                self._warned = time.monotonic()
        metrics.push_refused.inc()
        if warn:
            log.warning("more clients wait for progress than %s (%d) lets wait: answered 503", PUSH_WAITERS, self.limit)
        return False

    def give(self) -> None:
        with self._lock:
            self.count -= 1
            metrics.push_waiters.dec()


def limit_from(app: Flask) -> int:
    """``ONETHING_PUSH_WAITERS`` from the environment, else the app's setting, else :data:`DEFAULT_WAITERS`."""
    text = os.environ.get(PUSH_WAITERS, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{PUSH_WAITERS} must be a whole number of at least 1, not {text!r}")
        return int(text)
    return int(app.config.get(PUSH_WAITERS) or DEFAULT_WAITERS)


def waiters(app: Flask | None = None) -> Waiters:
    """This app's count of waiting requests."""
    app = app or current_app
    found = app.extensions.get("onething_push_waiters")
    if found is None:
        found = app.extensions.setdefault("onething_push_waiters", Waiters(limit_from(app)))
    return found


def busy() -> Response:
    response = problem(
        503, f"too many clients wait for progress now: try again in {RETRY_AFTER_SECONDS} s (or ask without wait)"
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def client_alive() -> Callable[[], bool]:
    """Whether the client still waits for the answer (waitress tells, with ``channel_request_lookahead``)."""
    gone = request.environ.get("waitress.client_disconnected")
    return (lambda: not gone()) if callable(gone) else (lambda: True)


def event(name: str, data: dict, event_id: str | None = None) -> str:
    """One server-sent event (its data one line of JSON)."""
    lines = [f"id: {event_id}"] if event_id else []
    lines += [f"event: {name}", "data: " + json.dumps(data, ensure_ascii=False)]
    return "\n".join(lines) + "\n\n"


HEARTBEAT = ": 心跳\n\n"


def event_stream(events: Callable[[], Iterable[str]], *, page: bool = False) -> Response:
    """An event stream of what ``events()`` gives, if a waiter's place is free: the place is given back when
    the stream ends, however it ends -- even one the client left before it began. When none is free, 503; or
    for a page's own stream (``page``) a stream that ends at once telling the browser's EventSource to come
    back later (a 503 would stop it for good and be an error in the console)."""
    slots = waiters()
    if not slots.take():
        if not page:
            return busy()
        later = f"retry: {RETRY_LATER_MS}\n: 等待的连接已满，稍后自动重连\n\n"
        return Response(later, mimetype="text/event-stream", headers={"Retry-After": str(RETRY_LATER_MS // 1000)})
    try:
        found = events()

        def chunks() -> Iterator[str]:
            yield f"retry: {RETRY_MS}\n\n"
            yield from found

        response = Response(chunks(), mimetype="text/event-stream")
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        response.call_on_close(slots.give)
    except BaseException:
        slots.give()
        raise
    return response


def stream_settings() -> dict:
    config = current_app.config
    return {"seconds": float(config.get(STREAM_SECONDS, 300)), "beat_seconds": float(config.get(BEAT_SECONDS, 15))}
