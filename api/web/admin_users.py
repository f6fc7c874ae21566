"""The admins' user pages: the list; adding a user with its roles and departments as labelled checkboxes in
Chinese and its jurisdictions by division code (named as they are typed back); changing roles, departments
and jurisdictions; a new password; disabling after a confirmation page (nobody disables itself or the last
admin; disabling the portal's account is warned about) and enabling again. Changes of access, a new
password and disabling end the user's sessions. Every message is in Chinese, the use cases' English stays
behind."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.usecases import accounts
from engine.usecases.accounts import MIN_PASSWORD, AccountChangeRefused
from engine.users import ROLES

from .clerk import ActionForm
from .names import ROLE_NAMES, division_name
from .pages import blp, context, page

PASSWORD_RULE = f"密码至少{MIN_PASSWORD}位，至多200位。"
FIELD_TEXT = {
    "name": "请输入用户名（至多100个字符）。",
    "password": PASSWORD_RULE,
    "roles": "请至少选择一个角色。",
    "groups": "所选部门不存在，请重新选择。",
    "jurisdictions": "辖区应为行政区划代码或其前缀（2至12位数字，如 62 或 620102），多个以空格分隔。",
}
PORTAL_WARNING = "这是门户系统使用的账号：停用后，门户将无法再提交申请、上传材料和查询进度，直至重新启用。"


def chinese_message(err: EngineError, name: str) -> str:
    """What a refused change says on the page."""
    if isinstance(err, AccountChangeRefused):
        if err.reason == "self":
            return "不能停用自己的账号，也不能取消自己的管理员角色。"
        return f"{name} 是最后一个启用的管理员：请先添加或启用另一个管理员。"
    if isinstance(err, InvalidInput):
        texts = [FIELD_TEXT.get(field, "填写有误。") for field in (err.errors or {})]
        return "".join(dict.fromkeys(texts)) or "填写有误。"
    if isinstance(err, NotFound):
        return f"用户 {name} 不存在。"
    if isinstance(err, Conflict):
        return f"用户名 {name} 已被使用，请换一个。"
    return "操作未完成，请稍后重试。"


class Checkboxes(SelectMultipleField):
    """Several choices as a list of labelled checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def at_least_one(message: str):
    def check(form, field) -> None:  # no `required` attribute: it would make every checkbox required
        if not field.data:
            raise ValidationError(message)

    return check


def division_codes(form, field) -> None:
    codes = (field.data or "").split()
    if any(not (code.isascii() and code.isdigit() and 2 <= len(code) <= 12) for code in codes):
        raise ValidationError(FIELD_TEXT["jurisdictions"])


class AccessFields(FlaskForm):
    roles = Checkboxes(
        "角色", choices=[SelectChoice(r, ROLE_NAMES[r]) for r in ROLES], validators=[at_least_one(FIELD_TEXT["roles"])]
    )
    groups = Checkboxes("部门（办事人员所属）", choices=[])
    jurisdictions = StringField(
        "辖区（行政区划代码或其前缀，如 62 为甘肃省、6201 为兰州市，多个以空格分隔）",
        validators=[Length(max=200, message="辖区至多200个字符。"), division_codes],
    )

    def with_departments(self):
        self.groups.choices = [SelectChoice(g, name) for g, name in sorted(context().services.groups.items())]
        return self


class UserForm(AccessFields):
    name = StringField(
        "用户名", validators=[DataRequired("请输入用户名。"), Length(max=100, message=FIELD_TEXT["name"])]
    )
    password = PasswordField(
        f"初始密码（至少{MIN_PASSWORD}位）",
        validators=[DataRequired("请输入初始密码。"), Length(min=MIN_PASSWORD, max=200, message=PASSWORD_RULE)],
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        f"新密码（至少{MIN_PASSWORD}位）",
        validators=[DataRequired("请输入新密码。"), Length(min=MIN_PASSWORD, max=200, message=PASSWORD_RULE)],
    )
    again = PasswordField("再次输入新密码", validators=[EqualTo("password", "两次输入的密码不一致。")])


def _user_rows() -> list[dict]:
    return accounts.list_users(context())


@blp.route("/admin/users", methods=["GET", "POST"])
@page("admin")
def users():
    form = UserForm().with_departments()
    if form.validate_on_submit():
        name = form.name.data.strip()
        try:
            accounts.add_user(
                context(),
                name,
                form.roles.data,
                form.groups.data,
                form.jurisdictions.data.split(),
                password=form.password.data,
            )
            flash(f"已添加用户 {name}。", "ok")
            return redirect(url_for("web.users"))
        except EngineError as err:
            flash(f"未能添加：{chinese_message(err, name)}", "error")
    return render_template("users.html", form=form, users=_user_rows(), action=ActionForm())


def _named_jurisdictions(codes: list[str]) -> list[str]:
    return [division_name(code) for code in codes]


@blp.route("/admin/users/<name>", methods=["GET", "POST"])
@page("admin")
def user_access(name):
    current = accounts.user_access(context(), name)
    form = AccessFields(
        data=None
        if request.method == "POST"
        else {
            "roles": current["roles"],
            "groups": current["groups"],
            "jurisdictions": " ".join(current["jurisdictions"]),
        }
    ).with_departments()
    if form.validate_on_submit():
        try:
            changed = accounts.change_access(
                context(), name, form.roles.data, form.groups.data, form.jurisdictions.data.split(), by=g.principal.name
            )
            flash(
                f"已修改 {name} 的角色、部门和辖区，其登录已结束。" if changed else f"{name} 的角色、部门和辖区未变。",
                "ok",
            )
            return redirect(url_for("web.user_access", name=name))
        except EngineError as err:
            flash(f"未能修改：{chinese_message(err, name)}", "error")
    return render_template(
        "user.html",
        user=current,
        form=form,
        password_form=PasswordForm(prefix="pw"),
        action=ActionForm(),
        jurisdictions=_named_jurisdictions(current["jurisdictions"]),
    )


@blp.post("/admin/users/<name>/password")
@page("admin")
def reset_password(name):
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.set_password(context(), name, form.password.data)
            flash(f"已重置 {name} 的密码并解除锁定，其登录已结束。", "ok")
        except EngineError as err:
            flash(f"未能重置：{chinese_message(err, name)}", "error")
    else:
        flash("未能重置：" + "".join(dict.fromkeys(e for errors in form.errors.values() for e in errors)), "error")
    return redirect(url_for("web.user_access", name=name))


def _refusal(user: dict) -> str | None:
    """Why the signed-in admin may not disable ``user`` (None: it may)."""
    if user["name"] == g.principal.name:
        return "不能停用自己的账号。"
    admins = [u for u in _user_rows() if "admin" in u["roles"] and not u["disabled"]]
    if "admin" in user["roles"] and not user["disabled"] and len(admins) <= 1:
        return f"{user['name']} 是最后一个启用的管理员：请先添加或启用另一个管理员。"
    return None


@blp.route("/admin/users/<name>/disable", methods=["GET", "POST"])
@page("admin")
def disable_user(name):
    """A confirmation page first (what disabling does, the portal's account warned about); the page's form
    carries ``confirmed``, so no post from anywhere else disables anyone."""
    user = accounts.user_access(context(), name)
    if request.method == "POST" and request.form.get("confirmed") == "yes":
        try:
            accounts.revoke(context(), name, by=g.principal.name)
            flash(f"已停用 {name}，其登录已结束。", "ok")
            return redirect(url_for("web.users"))
        except EngineError as err:
            flash(f"未能停用：{chinese_message(err, name)}", "error")
    return render_template(
        "confirm_disable.html",
        user=user,
        refusal=_refusal(user),
        action=ActionForm(),
        portal=PORTAL_WARNING if "portal" in user["roles"] else None,
        jurisdictions=_named_jurisdictions(user["jurisdictions"]),
    )


@blp.post("/admin/users/<name>/enable")
@page("admin")
def enable_user(name):
    try:
        changed = accounts.enable(context(), name)
        flash(f"已重新启用 {name}，其可再次登录。" if changed else f"{name} 未被停用。", "ok")
    except EngineError as err:
        flash(f"未能启用：{chinese_message(err, name)}", "error")
    return redirect(url_for("web.users"))
