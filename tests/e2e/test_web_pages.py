"""The admins' and supervisors' pages through the app's test client (the browser tests cover the clerks'
flows): incidents with retry, users added, disabled and given a new password, deployments with their
diagrams, the calendar, roles kept apart."""

from __future__ import annotations

import re

import pytest

from engine.usecases.accounts import add_user

PASSWORD = "admin password 1"


def token(page) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def sign_in(client, name, password=PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token(page)})


@pytest.fixture
def admin(app, ctx):
    add_user(ctx, "admin-web", ["admin"], [], ["62"], password=PASSWORD)
    client = app.test_client()
    assert sign_in(client, "admin-web").status_code == 302
    return client


def test_an_admin_adds_disables_and_resets_users(admin, app, ctx):
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "添加用户" in page.get_data(as_text=True)
    done = admin.post(
        "/admin/users",
        data={
            "name": "mw-new",
            "roles": ["clerk"],
            "groups": ["midwifery"],
            "jurisdictions": "6201",
            "password": "new clerk pass",
            "csrf_token": token(page),
        },
        follow_redirects=True,
    )
    assert "已添加用户 mw-new" in done.get_data(as_text=True)
    clerk = app.test_client()
    assert sign_in(clerk, "mw-new", "new clerk pass").headers["Location"].endswith("/tasks")
    page = admin.get("/admin/users/mw-new")
    admin.post(
        "/admin/users/mw-new/password",
        data={"pw-password": "another clerk pass", "pw-again": "another clerk pass", "csrf_token": token(page)},
    )
    assert sign_in(app.test_client(), "mw-new", "new clerk pass").status_code == 401
    assert sign_in(app.test_client(), "mw-new", "another clerk pass").status_code == 302
    page = admin.get("/admin/users/mw-new/disable")  # a confirmation page first
    assert "确认停用 mw-new" in page.get_data(as_text=True)
    admin.post("/admin/users/mw-new/disable", data={"csrf_token": token(page)})  # not from the page: nothing
    assert sign_in(app.test_client(), "mw-new", "another clerk pass").status_code == 302
    admin.post("/admin/users/mw-new/disable", data={"csrf_token": token(page), "confirmed": "yes"})
    assert sign_in(app.test_client(), "mw-new", "another clerk pass").status_code == 401
    assert clerk.get("/tasks").status_code == 302  # a disabled user's session ends


def test_an_admin_retries_an_incident_and_sees_deployments_and_the_calendar(admin, api, ctx, application):
    body = api.start(application).get_json()
    with ctx.uow() as uow:  # a timer that failed every attempt (as test_durability makes them for real)
        job = uow.jobs.for_instance(body["id"])[0]
        job.state, job.attempts, job.last_error = "incident", 5, "HandlerError: 系统暂时不可用"
        job.error_message = "系统暂时不可用"
        job_id, step = job.id, job.activity_name
        uow.commit()
    page = admin.get("/admin")
    text = page.get_data(as_text=True)
    assert "部署与版本" in text and "工作日历" in text
    assert re.search(
        f">{body['business_key']}</a></td><td[^>]*>{step}</td>\\s*<td[^>]*>系统暂时不可用</td>\\s*<td[^>]*>5次</td>",
        text,
    )
    done = admin.post(f"/admin/incidents/{job_id}/retry", data={"csrf_token": token(page)}, follow_redirects=True)
    assert "已恢复，后台将尽快执行（定时环节到时执行）" in done.get_data(as_text=True)  # the timer is not due yet
    with ctx.reader() as uow:
        assert uow.jobs.get(job_id).state == "ready"
    assert admin.get("/admin/definitions/newborn_birth/1/diagram.svg").mimetype == "image/svg+xml"
    year = admin.get("/admin/calendar/2027").get_data(as_text=True)
    assert "预计" in year and "2027年1月" in year


def test_pages_keep_roles_apart(app, ctx, api):
    add_user(ctx, "sup-web", ["supervisor"], [], ["62"], password=PASSWORD)
    supervisor = app.test_client()
    sign_in(supervisor, "sup-web")
    assert supervisor.get("/oversight").status_code == 200
    assert supervisor.get("/admin").status_code == 403
    assert supervisor.get("/tasks").status_code == 403
    assert app.test_client().get("/oversight").status_code == 302  # not signed in: to the sign-in page
    wrong = sign_in(app.test_client(), "sup-web", "wrong password")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    assert sign_in(app.test_client(), "sup-web").headers["Location"].endswith("/oversight")
    evil = app.test_client()
    page = evil.get("/login")
    response = evil.post(
        "/login?next=https://evil.example/", data={"name": "sup-web", "password": PASSWORD, "csrf_token": token(page)}
    )
    assert response.headers["Location"].endswith("/oversight")  # never sent to another site


def test_camunda_modelers_cockpit_links_land_on_these_pages(app, api, application):
    client = app.test_client()
    urls = client.get("/.well-known/camunda-automation-platform/webapps").get_json()
    assert urls["cockpitUrl"].endswith("/cockpit/") and urls["tasklistUrl"].endswith("/tasks")
    body = api.start(application).get_json()
    found = client.get(f"/cockpit/process-instance/{body['id']}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/applications/{body['id']}")
    assert client.get("/cockpit/repository?deploymentsQuery=x").headers["Location"].endswith("/admin")
