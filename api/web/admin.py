"""The admins' pages: incidents (service tasks that failed every attempt) with retry, deployments and their
versions with diagrams, users (add, change roles, groups and jurisdictions, disable, reset a password: the
last three end the user's sessions), and the working-day calendar's years."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from engine.diagram import render_svg
from engine.errors import Conflict, InvalidInput, NotFound
from engine.usecases import accounts, calendar, deployments, incidents
from engine.users import ROLES
from engine.worker import retry_incident

from ..security_headers import svg_response
from .clerk import ActionForm
from .pages import blp, context, page


class UserForm(FlaskForm):
    name = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=100)])
    roles = SelectMultipleField("角色", choices=[(r, r) for r in ROLES], validators=[DataRequired("请选择角色")])
    groups = SelectMultipleField("部门（办事人员）", choices=[])
    jurisdictions = StringField("辖区（行政区划代码前缀，空格分隔）", validators=[Length(max=200)])
    password = PasswordField("初始密码（至少10位）", validators=[DataRequired("请输入初始密码"), Length(max=200)])


class AccessForm(FlaskForm):
    roles = SelectMultipleField("角色", choices=[(r, r) for r in ROLES], validators=[DataRequired("请选择角色")])
    groups = SelectMultipleField("部门（办事人员）", choices=[])
    jurisdictions = StringField("辖区（行政区划代码前缀，空格分隔）", validators=[Length(max=200)])


class PasswordForm(FlaskForm):
    password = PasswordField("新密码（至少10位）", validators=[DataRequired("请输入新密码"), Length(max=200)])


@blp.get("/admin")
@page("admin")
def admin_home():
    return render_template("admin.html", incidents=incidents.list_incidents(context(), 1, 50),
                           definitions=deployments.list_definitions(context()),
                           years=calendar.list_years(context(), g.principal), action=ActionForm())


@blp.post("/admin/incidents/<incident_id>/retry")
@page("admin")
def retry(incident_id):
    try:
        done = retry_incident(context(), g.principal, incident_id)
        flash(done["outcome_message"], "ok" if done["outcome"] == "resolved" else "error")
    except NotFound:
        flash("未能重试：该故障已不存在（可能已由他人重试成功）。", "error")
    except Conflict:
        flash("未能重试：该环节已不是故障，正在办理中。", "error")
    return redirect(url_for("web.admin_home"))


@blp.get("/admin/definitions/<key>/<int:version>")
@page("admin")
def definition(key, version):
    """A process version with its diagram shown inside the page (an image: nothing in a drawing runs)."""
    return render_template("definition.html", definition=deployments.get_definition(context(), key, version))


@blp.get("/admin/definitions/<key>/<int:version>/diagram.svg")
@page("admin")
def definition_diagram(key, version):
    _, content = deployments.definition_xml(context(), key, version)
    return svg_response(render_svg(content, set(), set(), set()))


@blp.route("/admin/users", methods=["GET", "POST"])
@page("admin")
def users():
    form = UserForm()
    form.groups.choices = sorted(context().services.groups.items())
    if form.validate_on_submit():
        try:
            accounts.add_user(context(), form.name.data.strip(), form.roles.data, form.groups.data,
                              form.jurisdictions.data.split(), password=form.password.data)
            flash(f"已添加用户 {form.name.data.strip()}。", "ok")
            return redirect(url_for("web.users"))
        except (InvalidInput, Conflict) as err:
            details = "；".join(f"{k}: {'，'.join(v)}" for k, v in (getattr(err, "errors", None) or {}).items())
            flash(f"未能添加：{err} {details}".strip(), "error")
    return render_template("users.html", form=form, users=accounts.list_users(context()),
                           action=ActionForm(), password_form=PasswordForm())


@blp.route("/admin/users/<name>", methods=["GET", "POST"])
@page("admin")
def user_access(name):
    current = accounts.user_access(context(), name)
    form = AccessForm(data=None if request.method == "POST" else {
        "roles": current["roles"], "groups": current["groups"], "jurisdictions": " ".join(current["jurisdictions"])})
    form.groups.choices = sorted(context().services.groups.items())
    if form.validate_on_submit():
        try:
            changed = accounts.change_access(context(), name, form.roles.data, form.groups.data,
                                             form.jurisdictions.data.split())
            flash(f"已修改 {name} 的角色、部门和辖区，其登录已结束。" if changed
                  else f"{name} 的角色、部门和辖区未变。", "ok")
            return redirect(url_for("web.users"))
        except InvalidInput as err:
            details = "；".join(f"{k}: {'，'.join(v)}" for k, v in (err.errors or {}).items())
            flash(f"未能修改：{err} {details}".strip(), "error")
    return render_template("user.html", user=current, form=form)


@blp.post("/admin/users/<name>/disable")
@page("admin")
def disable_user(name):
    accounts.revoke(context(), name)
    flash(f"已停用 {name}，其登录已结束。", "ok")
    return redirect(url_for("web.users"))


@blp.post("/admin/users/<name>/password")
@page("admin")
def reset_password(name):
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(context(), name, form.password.data)
            flash(f"已重置 {name} 的密码并解除锁定，其登录已结束。", "ok")
        except (InvalidInput, NotFound) as err:
            flash(f"未能重置：{err} {getattr(err, 'errors', '') or ''}".strip(), "error")
    return redirect(url_for("web.users"))


@blp.get("/admin/calendar/<int:year>")
@page("admin", "supervisor")
def calendar_year(year):
    from engine.calendar.grid import render_year

    view = calendar.show_year(context(), year)
    return render_template("calendar.html", view=view, grid=render_year(view))
