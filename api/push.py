"""Progress pushed to the portal and the staff (issue 26), over HTTP: the waiting use cases of
:mod:`engine.usecases.watch` as answers.

* ``GET /api/applications/{business_key}/events``: server-sent events (``text/event-stream``): an event
  ``progress`` -- ``{"business_key", "instance_id", "revision", "state"}``, ``id:`` the revision -- at once and
  each time the application's instance view changes; a comment line as a heartbeat while nothing does; a
  client reconnecting with ``Last-Event-ID`` is sent only what is newer. The stream ends after a few minutes
  (the browser's ``EventSource`` reconnects by itself) or as soon as the client has gone.
* ``?wait=N`` (seconds, at most 30) on the instance view and the progress view: with ``If-None-Match`` naming
  the ``ETag`` the caller has, the answer waits until the view differs (200, its new ``ETag``) or N seconds
  went by (304).

Who may watch is who may read the view: the portal its own applications, staff those in their jurisdictions
(another's is not found). Each waiting request holds one of the server's threads, so at most
``ONETHING_PUSH_WAITERS`` of them wait at once in a process (``onething serve``: half its threads; else 16);
one more is answered 503 with ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from flask import Flask, Response, current_app, g, request
from flask_smorest import Blueprint

from engine import metrics
from engine.errors import InvalidInput
from engine.usecases import watch
from engine.usecases.watch import MAX_WAIT_SECONDS

from .auth import context, require
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

blp = Blueprint("push", __name__, url_prefix="/api", description="Progress pushed")


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


# -- the long poll of a view ---------------------------------------------------------------------------------


def wait_argument() -> int:
    """``?wait=N``: whole seconds from 0 to :data:`MAX_WAIT_SECONDS` (anything else: 422)."""
    text = request.args.get("wait", "0")
    if not text.isascii() or not text.isdigit() or int(text) > MAX_WAIT_SECONDS:
        raise InvalidInput(
            f"wait is a whole number of seconds from 0 to {MAX_WAIT_SECONDS}",
            {"wait": [f"a whole number of seconds from 0 to {MAX_WAIT_SECONDS}"]},
        )
    return int(text)


def view_answer(instance_id: Callable[[], str], render: Callable[[], dict]):
    """The view as ``render()`` gives it with its ``ETag``; 304 when it is the one the caller names in
    ``If-None-Match`` -- at once without ``?wait``, else once ``wait`` seconds went by without a change."""
    wait = wait_argument()
    seen = {tag for tag in request.if_none_match.as_set(include_weak=True) if tag}  # (W/"" is no tag)
    ctx, principal = context(), g.principal
    if not seen or wait == 0:
        return _answered(*watch.view_when_changed(ctx, principal, instance_id(), render, seen, 0))
    watched = instance_id()
    slots = waiters()
    if not slots.take():
        return busy()
    try:
        return _answered(*watch.view_when_changed(ctx, principal, watched, render, seen, wait, client_alive()))
    finally:
        slots.give()


def _answered(view: dict, tag: str, news: bool):
    if not news:
        response = Response(status=304)
        response.set_etag(tag)
        return response
    return view, 200, {"ETag": f'"{tag}"'}


# -- server-sent events ------------------------------------------------------------------------------------


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


@blp.route("/applications/<business_key>/events")
@require("portal", "clerk", "supervisor", "admin")
@blp.doc(
    security=[{"bearer": []}],
    parameters=[
        {
            "in": "header",
            "name": "Last-Event-ID",
            "required": False,
            "schema": {"type": "string"},
            "description": "the last revision the client had: only a newer one is sent",
        }
    ],
    responses={
        "200": {
            "description": "server-sent events: `progress` {business_key, instance_id, revision, state} at once "
            "and whenever the application's instance view changes; comments as heartbeats",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "description": "one event",
                        "properties": {
                            "event": {"type": "string", "enum": ["progress"]},
                            "id": {"type": "string", "description": "the revision"},
                            "data": {
                                "type": "string",
                                "description": "JSON: {business_key, instance_id, revision, state}",
                            },
                        },
                    }
                }
            },
        },
        "404": {"description": "no such application, or not the caller's"},
        "503": {"description": "too many clients wait now (Retry-After)"},
    },
)
def events(business_key):
    """The application's progress as server-sent events (the same callers as its instance view)."""
    ctx, principal = context(), g.principal
    watched = watch.visible_instance(ctx, principal, business_key=business_key)
    last = request.headers.get("Last-Event-ID") or None
    alive, settings = client_alive(), stream_settings()

    def formatted() -> Iterator[str]:
        for change in watch.follow_instance(ctx, watched.instance_id, last, alive=alive, **settings):
            if change is None:
                yield HEARTBEAT
            else:
                data = {
                    "business_key": change.business_key,
                    "instance_id": change.instance_id,
                    "revision": change.revision,
                    "state": change.state,
                }
                yield event("progress", data, change.revision)

    return event_stream(formatted)
