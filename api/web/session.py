"""Signing in and out: a name and a password (counted and locked per source, :mod:`engine.usecases.accounts`),
a new session on the server at each sign-in (:mod:`.server_session`), and signing out ending every session
of the user."""

from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.usecases import web_sessions
from engine.usecases.accounts import AccountLocked, authenticate_password

from .pages import blp, context, home_of, page, safe_next, signed_in


class SignInForm(FlaskForm):
    name = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=100)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


class SignOutForm(FlaskForm):
    pass


@blp.route("/login", methods=["GET", "POST"])
def login():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            principal = authenticate_password(
                context(), form.name.data.strip(), form.password.data, request.remote_addr
            )
        except AccountLocked as err:  # err.until is Beijing time
            principal, error = None, f"密码错误次数过多，请于{err.until:%H:%M}后再试。"
        if principal is not None:
            session.clear()
            session.renew_id()  # a new session id: one known before signing in is never the one after
            session["user"] = principal.name
            return redirect(safe_next(request.args.get("next")) or home_of(principal))
        error = error or "用户名或密码错误。"
    return render_template("login.html", form=form, error=error), (401 if error else 200)


@blp.post("/logout")
@page()
def logout():
    web_sessions.sign_out(context(), g.principal.name)  # CSRFProtect has checked the form's token
    session.clear()
    return redirect(url_for("web.login"))


@blp.get("/")
def index():
    principal = signed_in()
    return redirect(home_of(principal) if principal else url_for("web.login"))


@blp.get("/account")
@page()
def account():
    return render_template("account.html", signout=SignOutForm())


@blp.app_context_processor
def signout_form():
    return {"signout_form": SignOutForm}
