"""Camunda 7's REST API for Camunda Modeler's Deploy and Start buttons and Camunda's stock clients, under
``/engine-rest`` (``ENGINE_REST_PATH``, env ``ONETHING_ENGINE_REST_PATH``), over the same use cases as ``/api``.

What is answered (Camunda's shapes, :mod:`.camunda`; typed variables, :mod:`.variables`): one module per
resource -- ``/deployment``, ``/process-definition``, ``/process-instance`` and ``/message``, ``/task``,
``/history``, ``/decision-definition``, and for the departments'
external workers ``/external-task`` (:mod:`.external_task`) and ``/incident`` (:mod:`.incident`) -- and
``GET /version``; ``GET /openapi.json`` lists every route
(:mod:`.openapi`). People sign in with HTTP
Basic (their password), machines with ``Bearer`` (their token); a header that is neither (Camunda Modeler
sends ``authorization: undefined`` when nothing was entered) is no credentials: 401 with
``WWW-Authenticate``. Browsers' preflights (``OPTIONS``) are answered without credentials, with CORS
headers, and ``//`` in a path (a base URL typed with a trailing slash) is one ``/``, never a redirect.
"""

from __future__ import annotations

import os
import re

from flask import Flask, request

from . import (  # noqa: F401 (their routes join the blueprint)
    decision_definition,
    deployment,
    external_task,
    history,
    incident,
    openapi,
    process_definition,
    process_instance,
    task,
)
from .blueprint import blp

DEFAULT_PATH = "/engine-rest"
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "authorization, content-type, accept",
    "Access-Control-Max-Age": "600",
}


class MergeSlashes:
    """WSGI middleware: ``/engine-rest//deployment/create`` is ``/engine-rest/deployment/create``."""

    def __init__(self, app, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            merged = re.sub("/{2,}", "/", path)
            if merged.startswith(self.prefix):
                environ["PATH_INFO"] = merged
        return self.app(environ, start_response)


def register(app: Flask) -> None:
    prefix = "/" + (
        app.config.get("ENGINE_REST_PATH") or os.environ.get("ONETHING_ENGINE_REST_PATH") or DEFAULT_PATH
    ).strip("/")
    app.config["ENGINE_REST_PATH"] = prefix
    app.register_blueprint(blp, url_prefix=prefix)
    app.wsgi_app = MergeSlashes(app.wsgi_app, prefix)

    @app.after_request
    def cors(response):
        if request.path.startswith(prefix):
            response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin") or "*"
            response.headers["Vary"] = "Origin"
            response.headers.update(CORS_HEADERS)
        return response
