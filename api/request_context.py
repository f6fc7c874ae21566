"""Each request's id and what its log lines are about (issue 25, "Logs").

The id is the caller's ``X-Request-ID`` when it is a short token, else one minted here; it is answered in
``X-Request-ID`` and set, with the route template, for every line the request logs (``engine.log_context``);
the user is set where the caller is identified (``api.guard``), the business key where an instance is
loaded or saved (``engine.workflows``). Jobs the request makes keep the id (``jobs.request_id``), so the
worker's lines for the same application carry it too. One line per request (logger ``api.access``) says
method, route template, status and milliseconds: never the path, whose ids and query may be anyone's.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from engine import log_context

HEADER = "X-Request-ID"
UNMATCHED = "(unmatched)"  # a path no route serves: never the path itself (it may be anything)

access = logging.getLogger("api.access")


def route_template() -> str:
    """The matched route's template (``/api/tasks/<task_id>``), never the path."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _begin() -> None:
    g.started = time.perf_counter()
    g.request_id = log_context.request_id_from(request.headers.get(HEADER))
    log_context.clear()
    log_context.set_fields(request_id=g.request_id, route=route_template())


def _answer(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    started = g.get("started")
    if started is not None:
        access.info(
            "%s %s %d %.0f ms",
            request.method,
            route_template(),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
    return response


def _end(_error: BaseException | None) -> None:
    log_context.clear()  # the thread serves another request next


def register(app: Flask) -> None:
    """First of the app's hooks: every other hook's lines, and every answer, carry the id."""
    app.before_request(_begin)
    app.after_request(_answer)
    app.teardown_request(_end)
