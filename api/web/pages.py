"""What every page shares: the blueprint, who is signed in, the role check, and the error pages."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.usecases.accounts import principal_of

from . import texts

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/web")

HOME = {"clerk": "web.queue", "supervisor": "web.oversight", "admin": "web.admin_home"}


def context():
    return current_app.extensions["onething"]


def signed_in():
    name = session.get("user")
    return principal_of(context(), name) if name else None


def page(*roles: str):
    """A page for signed-in users holding one of ``roles`` (any role when none given)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = signed_in()
            if principal is None:
                if session.get("user") is not None:
                    session.clear()
                if getattr(session, "expired", False):  # the cookie named a session that has ended
                    flash("登录已失效（长时间未操作、已退出或账号有变更），请重新登录。",
                          "error")
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if roles and not principal.has_role(*roles):
                return render_template("error.html", title="无权访问", message="您的角色不能使用此页面。"), 403
            g.principal = principal
            return view(*args, **kwargs)
        return wrapper
    return decorate


def home_of(principal) -> str:
    for role, endpoint in HOME.items():
        if principal.has_role(role):
            return url_for(endpoint)
    return url_for("web.account")


def safe_next(target: str | None) -> str | None:
    """Only a path of this site (never another host) to go back to after signing in."""
    if not target:
        return None
    parsed = urlparse(target)
    return target if not parsed.scheme and not parsed.netloc and target.startswith("/") else None


@blp.app_context_processor
def who():
    return {"principal": getattr(g, "principal", None), "STATES": texts.STATES, "STATUSES": texts.STATUSES,
            "EVENTS": texts.EVENTS}


@blp.errorhandler(NotFound)
def not_found(err):
    return render_template("error.html", title="未找到", message="未找到该事项，或它不在您的辖区内。"), 404


@blp.errorhandler(Forbidden)
def forbidden(err):
    return render_template("error.html", title="无权办理", message="该任务属于其他部门，您无权办理。"), 403


@blp.errorhandler(CSRFError)
def csrf_failed(err):
    return render_template("error.html", title="请求无效",
                           message="表单缺少安全校验或已过期，请返回刷新页面后重试。"), 400


@blp.errorhandler(Conflict)
def conflict(err):
    return render_template("error.html", title="操作未完成", message=str(err)), 409


@blp.errorhandler(InvalidInput)
def invalid(err):
    return render_template("error.html", title="填写有误", message=str(err)), 422
