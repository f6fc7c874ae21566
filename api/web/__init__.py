"""The workplace in the browser for clerks, supervisors and admins (issue 16): pages rendered on the server
with Jinja2, served by the same app at ``/`` (the API stays at ``/api``), in Chinese.

Sign-in is a name and password (argon2id hashes, the locks of :mod:`engine.usecases.sign_in_limits`) and a
session kept on the server (:mod:`.server_session`: the cookie -- HttpOnly, SameSite=Lax, Secure when
``ONETHING_SECURE_COOKIES=1``, i.e. behind HTTPS -- carries only its random id; it ends at sign-out, a new
password, disabling, a change of roles, after 30 idle minutes and after 12 hours); every form carries a CSRF
token (Flask-WTF, signed with the secret key). The pages
use the same use cases, roles, groups and jurisdictions as the API: another jurisdiction's application is
"not found", another department's task "forbidden". Modules: :mod:`.session` (sign-in), :mod:`.clerk`
(queue, task, done), :mod:`.oversight` (supervisors), :mod:`.admin` (incidents, deployments, users,
calendar), :mod:`.search` (the search box of every page), :mod:`.external_tasks` (the departments'
external workers).
"""

from __future__ import annotations

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from engine.secret import service_secret
from engine.usecases.web_sessions import SessionPolicy

from . import (  # noqa: F401 (their routes and filters join the blueprint)
    admin,
    admin_calendar,
    admin_users,
    clerk,
    external_tasks,
    names,
    oversight,
    search,
    session,
)
from .pages import blp
from .server_session import ServerSessionInterface


def _secret_key(app: Flask) -> str:
    """The configured ``SECRET_KEY`` (tests), else the service's own (:func:`engine.secret.service_secret`)."""
    return app.config.get("SECRET_KEY") or service_secret()


def register(app: Flask) -> None:
    app.config["SECRET_KEY"] = _secret_key(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ONETHING_SECURE_COOKIES") == "1",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = ServerSessionInterface(app.config.get("SESSION_POLICY") or SessionPolicy.from_environment())
    csrf = CSRFProtect()
    csrf.init_app(app)
    for blueprint in list(app.blueprints.values()):  # the API and Camunda's REST take tokens, not cookies
        csrf.exempt(blueprint)
    app.register_blueprint(blp)
