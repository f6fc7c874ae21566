"""Unknown paths under ``/engine-rest`` (issue 20, finding 4): as Camunda answers them, after the credentials
-- 401 without them, 404 ``{type, message}`` with them -- and 405 only where the path exists and the method
does not; a browser's preflight (``OPTIONS``) is answered as before, without credentials. Through the test
client, then against a real ``onething serve`` with raw HTTP and with a stock Camunda 7 client
(``generic-camunda-client``) calling an endpoint this facade does not serve."""

from __future__ import annotations

import base64
import json

import generic_camunda_client as camunda
import pytest

from engine.usecases.accounts import add_user
from tests.e2e.test_engine_rest_server import add_person, request
from tests.support.services import free_port, onething, process, wait_healthy

PASSWORD = "correct horse battery"
BASE = "/engine-rest"
UNKNOWN = ["/nope", "/filter", "/task/1/delegate", "/", "", "/deployment/1/resources/x/y"]


def basic(user: str = "analyst-1", password: str = PASSWORD) -> dict:
    return {
        "authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
        "accept": "application/json",
    }


@pytest.fixture
def client(api, ctx):
    add_user(ctx, "analyst-1", ["analyst"], [], ["62"], password=PASSWORD)
    return api.client


@pytest.mark.parametrize("path", UNKNOWN)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_an_unknown_path_asks_for_credentials_then_is_camundas_404(client, method, path):
    for headers in ({"accept": "application/json"}, {"authorization": "undefined"}, basic(password="not the password")):
        refused = client.open(BASE + path, method=method, headers=headers)
        assert refused.status_code == 401, (method, path, headers)
        assert refused.mimetype == "application/json" and refused.headers["WWW-Authenticate"].startswith("Basic")
        assert refused.get_json()["type"] == "AuthenticationException"
    found = client.open(BASE + path, method=method, headers=basic())
    assert found.status_code == 404, (method, path, found.get_data(as_text=True))
    assert found.mimetype == "application/json"
    body = found.get_json()
    assert body["type"] == "NotFoundException" and body["message"]
    assert found.headers["Access-Control-Allow-Origin"] == "*"


def test_a_method_the_path_does_not_take_is_405_after_the_credentials(client):
    assert client.post(f"{BASE}/deployment", headers={"accept": "application/json"}).status_code == 401
    for method, path, allowed in (
        ("POST", "/deployment", "GET"),
        ("DELETE", "/version", "GET"),
        ("PUT", "/process-definition/key/newborn_birth/start", "POST"),
    ):
        response = client.open(BASE + path, method=method, headers=basic())
        assert response.status_code == 405, (method, path)
        assert response.get_json()["type"] == "NotAllowedException"
        assert allowed in response.headers["Allow"] and "OPTIONS" in response.headers["Allow"]
    assert client.get(f"{BASE}/deployment", headers=basic()).status_code == 200  # the path itself is there


def test_preflights_stay_unauthenticated_and_elsewhere_nothing_changes(client):
    for path in ("/nope", "/deployment/create", "/process-definition/x/start"):
        preflight = client.options(BASE + path, headers={"Origin": "null", "Access-Control-Request-Method": "POST"})
        assert preflight.status_code in (200, 204) and preflight.headers["Access-Control-Allow-Origin"] == "null"
    assert client.get("/api/nope").mimetype == "application/problem+json"  # the API's own 404
    assert client.get(f"{BASE}/version").status_code == 200


def test_unknown_paths_against_onething_serve_with_raw_http_and_a_camunda_client(
    database_url, tmp_path, service_clock_pinned
):
    add_person(database_url, "analyst-1", "analyst")
    port = free_port()
    with process(onething("serve", "--port", str(port)), database_url, tmp_path / "serve.log") as child:
        wait_healthy(f"http://127.0.0.1:{port}", child, tmp_path / "serve.log")
        status, headers, body = request(
            port, "GET", BASE + "/filter?maxResults=1", {"accept": "application/json", "authorization": "undefined"}
        )
        assert status == 401 and headers["www-authenticate"].startswith("Basic")
        assert json.loads(body)["type"] == "AuthenticationException"
        status, headers, body = request(port, "GET", BASE + "//filter?maxResults=1", basic())
        assert status == 404 and headers["content-type"] == "application/json"
        assert json.loads(body)["type"] == "NotFoundException"
        status, headers, body = request(port, "POST", BASE + "/deployment", {**basic(), "content-length": "0"})
        assert status == 405 and json.loads(body)["type"] == "NotAllowedException" and "GET" in headers["allow"]

        def client(username: str, password: str) -> camunda.ApiClient:
            configuration = camunda.Configuration(
                host=f"http://127.0.0.1:{port}{BASE}", username=username, password=password
            )
            api_client = camunda.ApiClient(configuration)
            api_client.set_default_header("Authorization", configuration.get_basic_auth_token())
            return api_client

        with pytest.raises(camunda.ApiException) as unknown:  # an endpoint a Camunda engine has, this one not
            camunda.FilterApi(client("analyst-1", PASSWORD)).get_filter_list()
        assert unknown.value.status == 404 and json.loads(unknown.value.body)["type"] == "NotFoundException"
        with pytest.raises(camunda.ApiException) as anonymous:
            camunda.FilterApi(client("analyst-1", "not the password")).get_filter_list()
        assert anonymous.value.status == 401
        assert json.loads(anonymous.value.body)["type"] == "AuthenticationException"
        assert camunda.VersionApi(client("analyst-1", PASSWORD)).get_rest_api_version().version.startswith("7.")
