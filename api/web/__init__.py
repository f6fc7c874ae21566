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
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

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

SECRET_FILE = "secret_key"


def _secret_key(app: Flask) -> str:
    """``ONETHING_SECRET_KEY``, else one kept in ``instance/secret_key`` (made once, readable by us only), so
    every process of the service signs CSRF tokens alike."""
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    if os.environ.get("ONETHING_SECRET_KEY"):
        return os.environ["ONETHING_SECRET_KEY"]
    path = Path(os.environ.get("ONETHING_INSTANCE_DIR", "instance")) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    return path.read_text().strip()


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
