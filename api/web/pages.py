"""What every page shares: the blueprint, who is signed in, the role check, and the error pages."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from engine.calendar.chinese import chinese_time
from engine.errors import EngineError
from engine.usecases.accounts import principal_of

from ..errors import status_of
from ..guard import context, guarded

from . import texts

log = logging.getLogger(__name__)
blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/web")

HOME = {"clerk": "web.queue", "supervisor": "web.oversight", "admin": "web.admin_home"}


def signed_in():
    name = session.get("user")
    return principal_of(context(), name) if name else None


def _to_sign_in():
    if session.get("user") is not None:
        session.clear()
    if getattr(session, "expired", False):  # the cookie named a session that has ended
        flash("登录已失效（长时间未操作、已退出或账号有变更），请重新登录。", "error")
    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))


def page(*roles: str):
    """A page for signed-in users holding one of ``roles`` (any role when none given)."""
    return guarded(roles, signed_in, unknown=_to_sign_in, refused=lambda principal: (
        render_template("error.html", title="无权访问", message="您的角色不能使用此页面。"), 403))


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


@blp.app_template_filter("moment")
def moment(value) -> str:
    """A time as people in China read it: ``2026年12月4日 21:25``, Beijing time (the pages' one date format)."""
    return chinese_time(value)


@blp.app_context_processor
def who():
    return {"principal": getattr(g, "principal", None), "STATES": texts.STATES,
            "EVENTS": texts.EVENTS}


# what a page says for an engine error, by its status (None: the error's own text, written for people)
PAGE_TEXT = {
    404: ("未找到", "未找到该事项，或它不在您的辖区内。"),
    403: ("无权办理", "该任务属于其他部门，您无权办理。"),
    409: ("操作未完成", None),
    422: ("填写有误", None),
    502: ("部门系统暂时无法办理", "部门系统暂时无法办理，请稍后重试。"),
    503: ("无法计算工作日", None),
}
FAILED = ("系统错误", "系统暂时无法完成此操作，请稍后重试。")


@blp.errorhandler(EngineError)
def engine_error(err: EngineError):
    status = status_of(err)
    if status not in PAGE_TEXT:
        log.exception("unhandled engine error on a page: %s", err.__class__.__name__)
    title, message = PAGE_TEXT.get(status, FAILED)
    return render_template("error.html", title=title, message=message or str(err)), status


@blp.errorhandler(CSRFError)
def csrf_failed(err):
    return render_template("error.html", title="请求无效",
                           message="表单缺少安全校验或已过期，请返回刷新页面后重试。"), 400
