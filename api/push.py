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
(another's is not found). How many may wait at once: :mod:`.event_streams`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Response, g, request
from flask_smorest import Blueprint

from engine.errors import InvalidInput
from engine.usecases import watch
from engine.usecases.watch import MAX_WAIT_SECONDS

from .auth import context, require
from .event_streams import HEARTBEAT, busy, client_alive, event, event_stream, stream_settings, waiters

blp = Blueprint("push", __name__, url_prefix="/api", description="Progress pushed")


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
