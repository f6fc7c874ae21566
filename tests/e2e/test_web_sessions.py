"""Issue 19, finding 2: the pages' sessions are kept on the server and end. A cookie copied from a signed-in
browser opens nothing after 退出, after a new password (the admin's page or ``onething user passwd``),
after disabling, after a change of roles, after 30 idle minutes and after 12 hours; signing in gives a new
session id; a cookie signed with the secret key the way Flask's own sessions were is worth nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from api import create_app
from engine.cli import main
from engine.persistence.models import WebSession
from engine.usecases.accounts import add_user
from engine.usecases.web_sessions import SessionPolicy
from engine.users import hash_token

from .test_web_pages import PASSWORD, sign_in, token

COOKIE = "session"


@pytest.fixture
def people(ctx):
    add_user(ctx, "admin-web", ["admin"], [], ["62"], password=PASSWORD)
    add_user(ctx, "mw-web", ["clerk"], ["midwifery"], ["62"], password=PASSWORD)
    return ctx


def signed_in_client(app, name):
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    assert client.get("/account").status_code == 200
    return client


def copy_of(app, client):
    """Another browser holding the same cookie (what an attacker who copied it has)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def opens_the_queue(client) -> bool:
    response = client.get("/tasks")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_a_copied_cookie_is_refused_after_signing_out_and_signing_out_ends_every_session(app, people):
    clerk = signed_in_client(app, "mw-web")
    thief = copy_of(app, clerk)
    elsewhere = signed_in_client(app, "mw-web")  # the same clerk on another computer
    assert opens_the_queue(thief) and opens_the_queue(elsewhere)
    page = clerk.get("/account")
    assert clerk.post("/logout", data={"csrf_token": token(page)}).status_code == 302
    assert not opens_the_queue(clerk)
    assert not opens_the_queue(thief)
    assert not opens_the_queue(elsewhere)
    assert "登录已失效" in thief.get("/login").get_data(as_text=True)  # told why, on the sign-in page


def test_signing_out_needs_the_forms_csrf_token(app, people):
    clerk = signed_in_client(app, "mw-web")
    assert clerk.post("/logout").status_code == 400
    assert opens_the_queue(clerk)


def test_a_copied_cookie_is_refused_after_the_admin_resets_the_password(app, people):
    clerk = signed_in_client(app, "mw-web")
    thief = copy_of(app, clerk)
    admin = signed_in_client(app, "admin-web")
    page = admin.get("/admin/users/mw-web")
    done = admin.post(
        "/admin/users/mw-web/password",
        data={"pw-password": "a brand new one", "pw-again": "a brand new one", "csrf_token": token(page)},
        follow_redirects=True,
    )
    assert "其登录已结束" in done.get_data(as_text=True)
    assert not opens_the_queue(thief) and not opens_the_queue(clerk)
    assert opens_the_queue(signed_in_client_with(app, "mw-web", "a brand new one"))


def signed_in_client_with(app, name, password):
    client = app.test_client()
    assert sign_in(client, name, password).status_code == 302
    return client


def test_a_copied_cookie_is_refused_after_onething_user_passwd(app, people, database_url, monkeypatch):
    clerk = signed_in_client(app, "mw-web")
    thief = copy_of(app, clerk)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("another password 1\n"))
    assert main(["user", "passwd", "mw-web"]) == 0
    assert not opens_the_queue(thief) and not opens_the_queue(clerk)


def test_a_copied_cookie_is_refused_after_disabling(app, people):
    clerk = signed_in_client(app, "mw-web")
    thief = copy_of(app, clerk)
    admin = signed_in_client(app, "admin-web")
    page = admin.get("/admin/users/mw-web/disable")
    admin.post("/admin/users/mw-web/disable", data={"confirmed": "yes", "csrf_token": token(page)})
    assert not opens_the_queue(thief) and not opens_the_queue(clerk)


def test_a_copied_cookie_is_refused_after_a_change_of_roles_groups_or_jurisdictions(app, people):
    clerk = signed_in_client(app, "mw-web")
    thief = copy_of(app, clerk)
    admin = signed_in_client(app, "admin-web")
    page = admin.get("/admin/users/mw-web")
    assert 'value="62"' in page.get_data(as_text=True)  # the form shows what the user has
    unchanged = admin.post(
        "/admin/users/mw-web",
        data={"roles": ["clerk"], "groups": ["midwifery"], "jurisdictions": "62", "csrf_token": token(page)},
        follow_redirects=True,
    )
    assert "未变" in unchanged.get_data(as_text=True)
    assert opens_the_queue(thief)  # nothing changed: nothing ends
    changed = admin.post(
        "/admin/users/mw-web",
        data={"roles": ["clerk"], "groups": ["midwifery"], "jurisdictions": "6201", "csrf_token": token(page)},
        follow_redirects=True,
    )
    assert "其登录已结束" in changed.get_data(as_text=True)
    assert not opens_the_queue(thief) and not opens_the_queue(clerk)
    again = signed_in_client(app, "mw-web")
    assert again.get("/account").status_code == 200
    wrong = admin.post(
        "/admin/users/mw-web",
        data={"roles": ["clerk"], "groups": ["no_such"], "jurisdictions": "x", "csrf_token": token(page)},
        follow_redirects=True,
    )
    assert wrong.status_code == 200 and opens_the_queue(again)  # refused by the form: nothing changed


def test_a_session_ends_after_30_idle_minutes(app, people, clock):
    clerk = signed_in_client(app, "mw-web")
    thief = copy_of(app, clerk)
    clock.advance(timedelta(minutes=29))
    assert opens_the_queue(thief)  # used: alive for another 30 minutes
    clock.advance(timedelta(minutes=29))
    assert opens_the_queue(clerk)
    clock.advance(timedelta(minutes=30, seconds=1))
    assert not opens_the_queue(clerk) and not opens_the_queue(thief)
    clock.advance(timedelta(days=30))  # the copied cookie of a month ago is worth no more
    assert not opens_the_queue(thief)


def test_a_session_ends_12_hours_after_signing_in_however_busy(app, people, clock):
    clerk = signed_in_client(app, "mw-web")
    thief = copy_of(app, clerk)
    for _ in range(11 * 4 + 3):  # a request every 15 minutes for 11 h 45 min
        clock.advance(timedelta(minutes=15))
        assert opens_the_queue(clerk)
    clock.advance(timedelta(minutes=15, seconds=1))
    assert not opens_the_queue(clerk) and not opens_the_queue(thief)


def test_the_limits_come_from_the_environment(ctx, people, clock, monkeypatch):
    monkeypatch.setenv("ONETHING_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("ONETHING_SESSION_LIFETIME_HOURS", "1")
    assert SessionPolicy.from_environment() == SessionPolicy(timedelta(minutes=5), timedelta(hours=1))
    app = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx)
    clerk = signed_in_client(app, "mw-web")
    clock.advance(timedelta(minutes=5, seconds=1))
    assert not opens_the_queue(clerk)
    monkeypatch.setenv("ONETHING_SESSION_IDLE_MINUTES", "soon")
    with pytest.raises(ValueError, match="ONETHING_SESSION_IDLE_MINUTES"):
        create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx)


def test_signing_in_gives_a_new_session_id(app, people):
    browser = app.test_client()
    page = browser.get("/login")  # a session exists before signing in (it holds the form's CSRF token)
    before = browser.get_cookie(COOKIE).value
    fixed = app.test_client()  # an attacker who planted that id in the victim's browser
    fixed.set_cookie(COOKIE, before)
    assert (
        browser.post("/login", data={"name": "mw-web", "password": PASSWORD, "csrf_token": token(page)}).status_code
        == 302
    )
    after = browser.get_cookie(COOKIE).value
    assert after != before
    assert opens_the_queue(browser)
    assert not opens_the_queue(fixed)


def test_an_id_the_server_never_gave_is_never_taken(app, people):
    browser = app.test_client()
    browser.set_cookie(COOKIE, "chosen-by-the-attacker")
    page = browser.get("/login")
    browser.post("/login", data={"name": "mw-web", "password": PASSWORD, "csrf_token": token(page)})
    assert browser.get_cookie(COOKIE).value != "chosen-by-the-attacker" and opens_the_queue(browser)


def test_the_cookie_is_a_random_id_and_the_database_keeps_only_its_hash(app, people, ctx):
    clerk = signed_in_client(app, "mw-web")
    cookie = clerk.get_cookie(COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"
    assert "." not in cookie.value and len(cookie.value) >= 43  # 256 random bits, nothing signed inside
    with ctx.reader() as uow:
        rows = [
            (row.id_hash, row.data)
            for row in uow.session.scalars(select(WebSession).where(WebSession.user_name == "mw-web"))
        ]
    assert [id_hash for id_hash, _ in rows] == [hash_token(cookie.value)]
    assert cookie.value not in str(rows)


def test_a_cookie_signed_the_way_flasks_own_sessions_were_opens_nothing(app, people):
    """Before, the session was Flask's signed cookie: anyone with the secret key (or a cookie of a month ago)
    was whoever it named."""
    with app.test_request_context():
        forged = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"user": "admin-web"})
    intruder = app.test_client()
    intruder.set_cookie(COOKIE, forged)
    assert intruder.get("/admin").status_code == 302
