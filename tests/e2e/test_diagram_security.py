"""Diagrams from process files (issue 19, findings 1 and 5), through HTTP as analysts, clerks and admins: a file
whose ids are not XML names or whose shapes have no bounds is refused at deployment, the usual way (file, line,
element), through ``/api`` and Camunda Modeler's ``/engine-rest``; a version stored before these checks still
draws, never a 500; every diagram is served as an image under a policy that runs nothing, and the admins see
a version's diagram inside a page."""

from __future__ import annotations

import base64
import io
import re

import pytest
from lxml import etree

import engine.definitions
from engine.usecases.accounts import add_user
from tests.support.diagrams import PAYLOAD_ID, PAYLOAD_NAME, with_note

PASSWORD = "diagram password 1"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def deploy(api, content: bytes, user="analyst"):
    return api.post(
        "/api/deployments",
        user,
        data={"files": [(io.BytesIO(content), "newborn_birth.bpmn")]},
        content_type="multipart/form-data",
    )


def signed_in(app, ctx, name, roles, groups=()):
    add_user(ctx, name, roles, list(groups), ["62"], password=PASSWORD)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    return client


def stored_without_checks(api, monkeypatch, content: bytes) -> int:
    """``content`` deployed as a version stored before the id and bounds checks existed."""
    monkeypatch.setattr(engine.definitions, "diagram_problems", lambda root, filename: [], raising=False)
    monkeypatch.setattr(engine.definitions, "_id_problems", lambda root, filename: [], raising=False)
    response = deploy(api, content)
    monkeypatch.undo()
    assert response.status_code == 201, response.get_json()
    return response.get_json()["definitions"][0]["version"]


def assert_inert_svg(response):
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == SVG_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    svg = etree.fromstring(response.data)
    names = {name.lower() for element in svg.iter() for name in element.attrib}
    assert not [name for name in names if name.startswith("on") or name in ("autofocus", "tabindex")]


def test_an_id_that_is_no_xml_name_is_refused_with_file_line_and_element(api):
    content = with_note(PAYLOAD_ID)
    response = deploy(api, content)
    assert response.status_code == 422
    [problem] = [p for p in response.get_json()["problems"] if "NCName" in p["message"]]
    line = next(n for n, text in enumerate(content.decode("utf-8").splitlines(), 1) if "<bpmn:textAnnotation" in text)
    assert problem["file"] == "newborn_birth.bpmn" and problem["line"] == line and problem["element"] == PAYLOAD_ID
    assert len(api.get("/api/process-definitions", "supervisor").get_json()) == 1  # nothing stored


def test_a_shape_without_bounds_is_refused_naming_its_element(api):
    response = deploy(api, with_note("note_1", bounds=False))
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert problem["element"] == "note_1" and problem["line"] > 900 and "dc:Bounds" in problem["message"]
    assert deploy(api, with_note("note_1")).status_code == 201  # the same note with its bounds is fine


def test_camunda_modeler_is_told_the_same_way_as_its_other_parse_errors(api, ctx):
    add_user(ctx, "analyst-m", ["analyst"], [], [], password=PASSWORD)
    basic = "Basic " + base64.b64encode(f"analyst-m:{PASSWORD}".encode()).decode()
    data = {
        "deployment-name": "newborn_birth",
        "deployment-source": "Camunda Modeler",
        "newborn_birth.bpmn": (io.BytesIO(with_note(PAYLOAD_ID, bounds=False)), "newborn_birth.bpmn"),
    }
    response = api.client.post(
        "/engine-rest/deployment/create",
        headers={"authorization": basic},
        data=data,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "ParseException" and body["message"].startswith("ENGINE-09005")
    errors = body["details"]["newborn_birth.bpmn"]["errors"]
    assert {e["mainElementId"] for e in errors} == {PAYLOAD_ID}  # its id, and its shape without bounds
    assert len(errors) == 2 and all(e["line"] for e in errors)


def test_a_stored_version_without_bounds_still_draws_for_admins_and_clerks(app, api, ctx, monkeypatch, application):
    version = stored_without_checks(api, monkeypatch, with_note("note_1", bounds=False))
    body = api.start(application).get_json()
    assert body["definition"]["version"] == version
    admin = signed_in(app, ctx, "admin-d", ["admin"])
    response = admin.get(f"/admin/definitions/newborn_birth/{version}/diagram.svg")
    assert_inert_svg(response)
    assert b"birth_certificate_review" in response.data and b'id="note_1"' not in response.data
    clerk = signed_in(app, ctx, "mw-d", ["clerk"], ["midwifery"])
    [step] = api.open_steps(body["id"])
    page = clerk.get(f"/tasks/{step['task_id']}")
    assert page.status_code == 200
    assert_inert_svg(clerk.get(f"/applications/{body['id']}/diagram.svg"))


def test_a_stored_payload_is_drawn_inert_and_admins_see_it_inside_a_page(app, api, ctx, monkeypatch, application):
    version = stored_without_checks(api, monkeypatch, with_note(PAYLOAD_ID, PAYLOAD_NAME))
    body = api.start(application).get_json()
    admin = signed_in(app, ctx, "admin-p", ["admin"])
    home = admin.get("/admin").get_data(as_text=True)
    assert "diagram.svg" not in home  # never a link that opens the drawing as a document of its own
    assert f'href="/admin/definitions/newborn_birth/{version}"' in home
    page = admin.get(f"/admin/definitions/newborn_birth/{version}")
    assert page.status_code == 200
    assert f'<img class="diagram" src="/admin/definitions/newborn_birth/{version}/diagram.svg"' in page.get_data(
        as_text=True
    )
    for url in (f"/admin/definitions/newborn_birth/{version}/diagram.svg", f"/applications/{body['id']}/diagram.svg"):
        response = admin.get(url)
        assert_inert_svg(response)
        [group] = [g for g in etree.fromstring(response.data).iter("{*}g") if g.get("id") == PAYLOAD_ID]
        assert group.findtext("{*}title") == f"{PAYLOAD_NAME} (idle)"


@pytest.mark.parametrize("version", ["99999999999999999999999", "2147483648", "0"])
def test_a_version_beyond_the_column_is_not_found(app, api, ctx, version):
    admin = signed_in(app, ctx, "admin-v", ["admin"])
    assert admin.get(f"/admin/definitions/newborn_birth/{version}/diagram.svg").status_code == 404
    assert admin.get(f"/admin/definitions/newborn_birth/{version}").status_code == 404
