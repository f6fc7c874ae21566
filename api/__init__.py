"""The HTTP API: ``create_app()`` builds the Flask app over an engine context (see CONTRACT.md), and nothing
else: preparing the database (migrations, calendar, bundled deployment) is ``engine.bootstrap.prepare``,
an explicit step of ``onething serve`` and of the tests."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from engine.bootstrap import build_context
from engine.context import EngineContext

from . import (
    applications,
    body_limits,
    calendar,
    client_address,
    definitions,
    engine_rest,
    errors,
    health,
    materials,
    metrics,
    operations,
    oversight,
    public_url,
    push,
    rate_limits,
    request_context,
    request_reads,
    retention,
    security_headers,
    tasks,
    web,
)


def create_app(config: dict | None = None, context: EngineContext | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        API_TITLE="onething",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        DATABASE_URL=None,
    )
    app.json.ensure_ascii = False
    app.config.update(config or {})
    public_url.configure(app)
    ctx = context or build_context(app.config["DATABASE_URL"])
    app.extensions["onething"] = ctx
    app.config["API_TITLE"] = "onething — " + "、".join(service.title for service in ctx.services.all)

    api = Api(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for service in ctx.services.all:  # each service's start form (e.g. "Application")
        schema = service.start_form.schema
        if schema is not None:
            api.spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    modules = (health, applications, push, tasks, definitions, operations, materials, oversight, calendar, retention)
    for module in modules:
        api.register_blueprint(module.blp)
    errors.register(app, api)
    request_context.register(app)  # first of the hooks: every line and answer carries the request id
    request_reads.register(app, ctx)  # the request's reads share one transaction (the caller's too)
    metrics.register(app)
    client_address.register(app)
    rate_limits.register(app)  # before any other check: a flood is turned away first
    body_limits.register(app)
    engine_rest.register(app)
    web.register(app)  # last: every blueprint before it takes tokens and is exempt from CSRF
    security_headers.register(app)
    return app
