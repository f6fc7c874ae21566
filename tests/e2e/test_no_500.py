"""No input gives a 500 (issue 19, finding 5): JSON text inside a body (a Camunda ``Json`` variable) is read with
the body's own limits and refused in Camunda's 400 shape; ids beyond an INTEGER column, and digits Python
calls digits but cannot read as a number (``²``), are "not found" or refused, never an OverflowError or a
ValueError. (A diagram shape without bounds: ``test_diagram_security``.)"""

from __future__ import annotations

import base64
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


@pytest.mark.parametrize("text, words", [
    ('{"x": ' + "9" * 100 + "}", ["characters (at most 40)"]),
    ('{"x": ' + "9" * 5000 + "}", ["characters (at most 40)"]),
    ('{"x": 1e400}', ["too large"]),
    ('{"x": NaN}', ["NaN"]),
    ('{"x": "\\ud800"}', ["not valid Unicode"]),
])
def test_huge_or_broken_values_inside_a_json_variable_are_camundas_400(api, basic, text, words):
    camunda_400(start_with_json(api, basic, text), *words)


def test_a_double_beyond_a_float_is_400_everywhere(api, basic):
    response = api.client.post(START, headers=basic, data='{"variables": {"x": {"value": 1e400, "type": "Double"}}}',
                               content_type="application/json")
    assert response.status_code == 400 and "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/engine-rest/deployment/99999999999999999999999", "/engine-rest/deployment/2147483648",
    "/engine-rest/deployment/²", "/engine-rest/process-definition/newborn_birth:²:1",
    "/engine-rest/process-definition/newborn_birth:99999999999999999999:99999999999999999999/xml",
])
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
