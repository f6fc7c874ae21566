"""No input gives a 500 (issue 19, finding 5): JSON text inside a body (a Camunda ``Json`` variable) is read with
the body's own limits and refused in Camunda's 400 shape; ids beyond an INTEGER column, and digits Python
calls digits but cannot read as a number (``²``), are "not found" or refused, never an OverflowError or a
ValueError. (A diagram shape without bounds: ``test_diagram_security``.)"""

from __future__ import annotations

import base64
import io
import json
import re

import pytest

from engine.usecases.accounts import add_user

PASSWORD = "no 500 password 1"
START = "/engine-rest/process-definition/key/newborn_birth/start"


@pytest.fixture
def basic(ctx):
    add_user(ctx, "admin-n", ["admin"], [], ["62"], password=PASSWORD)
    return {"authorization": "Basic " + base64.b64encode(f"admin-n:{PASSWORD}".encode()).decode()}


def start_with_json(api, basic, text: str):
    return api.client.post(START, headers=basic, json={"variables": {"application": {"value": text, "type": "Json"}}})


def camunda_400(response, *words):
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) >= {"type", "message", "code"} and body["type"] == "InvalidRequestException"
    assert all(word in body["message"] for word in words), body["message"][:300]


@pytest.mark.parametrize("depth", [65, 2000, 100_000])
def test_a_json_variable_nested_deep_is_camundas_400(api, basic, depth):
    camunda_400(start_with_json(api, basic, '{"a":' * depth + "1" + "}" * depth), "nested deeper than 64 levels")
    camunda_400(start_with_json(api, basic, "[" * depth + "]" * depth), "application", "Json")


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"x": ' + "9" * 100 + "}", ["characters (at most 40)"]),
        ('{"x": ' + "9" * 5000 + "}", ["characters (at most 40)"]),
        ('{"x": 1e400}', ["too large"]),
        ('{"x": NaN}', ["NaN"]),
        ('{"x": "\\ud800"}', ["not valid Unicode"]),
    ],
)
def test_huge_or_broken_values_inside_a_json_variable_are_camundas_400(api, basic, text, words):
    camunda_400(start_with_json(api, basic, text), *words)


def test_a_double_beyond_a_float_is_400_everywhere(api, basic):
    response = api.client.post(
        START,
        headers=basic,
        data='{"variables": {"x": {"value": 1e400, "type": "Double"}}}',
        content_type="application/json",
    )
    camunda_400(response, "too large")
    response = api.post("/api/applications/check", "portal", data='{"x": 1e400}', content_type="application/json")
    assert response.status_code == 400 and "too large" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/engine-rest/deployment/99999999999999999999999",
        "/engine-rest/deployment/2147483648",
        "/engine-rest/deployment/²",
        "/engine-rest/process-definition/newborn_birth:²:1",
        "/engine-rest/process-definition/newborn_birth:99999999999999999999:99999999999999999999/xml",
    ],
)
def test_ids_beyond_the_column_are_404(api, basic, path):
    response = api.client.get(path, headers=basic)
    assert response.status_code == 404 and response.get_json()["type"] in ("RestException", "InvalidRequestException")


@pytest.mark.parametrize("query", ["firstResult=²", "maxResults=²", "maxResults=99999999999999999999"])
def test_paging_that_is_no_number_is_400(api, basic, query):
    response = api.client.get(f"/engine-rest/deployment?{query}", headers=basic)
    assert response.status_code == 400 and response.get_json()["type"] == "InvalidRequestException"


def test_a_page_number_that_is_no_number_is_the_first_page(app, ctx):
    add_user(ctx, "mw-n", ["clerk"], ["midwifery"], ["62"], password=PASSWORD)
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"name": "mw-n", "password": PASSWORD, "csrf_token": csrf.group(1)})
    for page in ("²", "99999999999999999999999", "-1"):
        assert client.get(f"/tasks?page={page}").status_code == 200
        assert client.get(f"/done?page={page}").status_code == 200


def test_an_id_number_of_superscript_digits_is_422_not_a_500(api, application):
    application["mother"]["id_number"] = "62" + "²" * 15 + "X"
    response = api.post("/api/applications/check", "portal", json=application)
    assert response.status_code == 422, response.get_json()
    assert "mother.id_number" in json.dumps(response.get_json(), ensure_ascii=False)


# NUL (U+0000): SQLite stores it, PostgreSQL refuses it in any text -- a 500 there before this check.


@pytest.mark.parametrize(
    "path, user",
    [
        ("/api/process-instances/%00", "portal"),
        ("/api/tasks/a%00b", "midwifery"),
        ("/api/applications/%00/progress", "portal"),
        ("/api/process-definitions/%00/xml", "analyst"),
    ],
)
def test_nul_in_a_path_is_not_found(api, path, user):
    assert api.get(path, user).status_code == 404


def test_nul_in_a_query_a_header_or_a_body_is_refused(api, basic, application):
    response = api.client.get("/engine-rest/deployment?name=%00", headers=basic)
    camunda_400(response, "NUL")
    assert api.get("/api/tasks?item=%00", "midwifery").status_code == 400
    assert api.start(application, headers={"Idempotency-Key": "k\x00"}).status_code == 400
    response = api.post("/api/messages", "portal", json={"name": "a\x00", "business_key": "b"})
    assert response.status_code == 422 and "name" in response.get_json()["errors"]
    response = start_with_json(api, basic, json.dumps({"x": "\x00"}))
    camunda_400(response, "NUL")
    upload = api.post(
        "/api/deployments",
        "analyst",
        data={"files": [(io.BytesIO(b"<x/>"), "a\x00.bpmn")]},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400


def test_nul_in_a_sign_in_form_is_refused(app):
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"name": "mw\x00", "password": "x" * 12, "csrf_token": csrf.group(1)})
    assert response.status_code == 400


def test_nul_in_a_name_is_refused_naming_where_it_is(api, application):
    application["mother"]["name"] = "王\x00芳"  # refused with every body's text, before the form reads it
    response = api.start(application)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "variables.application.mother.name": ["含有无效的字符（不是有效的Unicode字符，或空字符U+0000）"]
    }
