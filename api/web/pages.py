"""What every page shares: the blueprint, who is signed in, the role check, and the error pages."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from engine.calendar.chinese import chinese_time
from engine.divisions import division_text
from engine.errors import EngineError
from engine.usecases.accounts import people_of, principal_of

from ..errors import status_of
from ..guard import context, guarded
from . import texts
from .timeline import timeline

log = logging.getLogger(__name__)
blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")

HOME = {"clerk": "web.queue", "supervisor": "web.oversight", "admin": "web.admin_home"}


def signed_in():
    name = session.get("user")
    return principal_of(context(), name) if name else None


ENDED = "登录已失效（长时间未操作、已退出或账号有变更），请重新登录。"
KEPT = "您填写的内容已保存在本浏览器中，重新登录后回到原页面即可继续。"


def _back_to() -> str:
    """Where to return after signing in: this page; for a form sent (POST), the page it was sent from."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlparse(request.referrer or "")
    same_site = referrer.netloc == request.host and referrer.scheme in ("http", "https")
    return (referrer.path + (f"?{referrer.query}" if referrer.query else "")) if same_site else url_for("web.index")


def _to_sign_in():
    if session.get("user") is not None:
        session.clear()
    if getattr(session, "expired", False):  # the cookie named a session that has ended
        flash(ENDED + (KEPT if request.method == "POST" else ""), "error")
    return redirect(url_for("web.login", next=_back_to()))


def page(*roles: str):
    """A page for signed-in users holding one of ``roles`` (any role when none given)."""
    return guarded(
        roles,
        signed_in,
        unknown=_to_sign_in,
        refused=lambda principal: (
            render_template("error.html", title="无权访问", message="您的角色不能使用此页面。"),
            403,
        ),
    )


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


@blp.get("/favicon.ico")
def favicon():
    """The tab's icon where a browser asks for it by the old name (pages name ``favicon.svg`` themselves)."""
    return blp.send_static_file("favicon.svg")


@blp.app_template_filter("moment")
def moment(value) -> str:
    """A time as people in China read it: ``2026年12月4日 21:25``, Beijing time (the pages' one date format)."""
    return chinese_time(value)


@blp.app_template_filter("division")
def division(code) -> str:
    """A jurisdiction or division code by name: ``甘肃省兰州市城关区``."""
    return division_text(code)


@blp.app_template_filter("label")
def label(code) -> str:
    """A code of a service's data in Chinese (the services' labels table); ``—`` for none."""
    if code is None or code == "":
        return "—"
    return context().services.label(code) or texts.label(code) or str(code)


@blp.app_template_filter("actor")
def actor(name) -> str:
    """Who did something, as people read it: the system, the portal (the applicant), or a person with their
    department."""
    return texts.actor_text(name, _people(), context().services.groups)


@blp.app_template_filter("timeline")
def history_lines(history) -> list[dict]:
    """An application's history as lines: repeated reads of one sitting together, materials named."""
    services = context().services
    kinds = {kind: text for service in services.all for kind, text in service.search.kinds.items()}
    return timeline(history, services.materials, kinds)


def _people() -> dict:
    """The users' roles and groups, once per request (for naming actors)."""
    if "people" not in g:
        g.people = people_of(context())
    return g.people


@blp.app_context_processor
def who():
    return {"principal": getattr(g, "principal", None), "STATES": texts.STATES, "EVENTS": texts.EVENTS}


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
    own = str(err)  # an engine message written for people is Chinese; an English one never reaches a page
    return render_template(
        "error.html", title=title, message=message or (own if texts.is_chinese(own) else DEFAULT_TEXT[status])
    ), status


DEFAULT_TEXT = {
    409: "该事项已被其他人员或系统改动，您的操作未生效。请刷新页面后重试。",
    422: "填写的内容有误，请检查后重新提交。",
    503: "暂时无法计算工作日，请联系管理员载入放假安排。",
}


@blp.errorhandler(CSRFError)
def csrf_failed(err):
    if signed_in() is None:  # the session ended: its form's token went with it; sign in again, nothing lost
        return _to_sign_in()
    return render_template(
        "error.html", title="请求无效", message="表单缺少安全校验或已过期，请返回刷新页面后重试。"
    ), 400
