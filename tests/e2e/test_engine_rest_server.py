"""Against a real ``onething serve`` (issue 15): Camunda Modeler's requests replayed byte for byte in what
matters -- raw HTTP, the Modeler's headers and multipart form, a base URL typed with a trailing slash --
and a generic Camunda 7 REST client from PyPI (``generic-camunda-client``) deploying and starting."""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import uuid

import generic_camunda_client as camunda

from handlers.newborn.samples import sample_application
from tests.support.services import ROOT, free_port, onething, process, wait_healthy

WORKFLOWS = ROOT / "workflows" / "newborn"
PASSWORD = "correct horse battery"


def add_person(database_url: str, name: str, role: str) -> None:
    """``onething user add NAME --role ROLE --password``, the password on standard input."""
    done = subprocess.run(
        onething("user", "add", name, "--role", role, "--jurisdiction", "62", "--password"),
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        env={**__import__("os").environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]


def request(port: int, method: str, path: str, headers: dict, body: bytes | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


def multipart(fields: dict[str, str], files: list[tuple[str, bytes, str]]) -> tuple[str, bytes]:
    """The form Camunda Modeler posts (CamundaAPI.js): text fields, then one part per file named after it."""
    boundary = f"----ModelerBoundary{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for filename, content, media in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{filename}"; filename="{filename}"\r\n'
            f"Content-Type: {media}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_camunda_modeler_and_a_camunda_client_against_onething_serve(database_url, tmp_path, service_clock_pinned):
    add_person(database_url, "analyst-1", "analyst")
    add_person(database_url, "portal-1", "portal")
    port = free_port()
    with process(onething("serve", "--port", str(port)), database_url, tmp_path / "serve.log") as child:
        wait_healthy(f"http://127.0.0.1:{port}", child, tmp_path / "serve.log")
        base = "/engine-rest/"  # typed with a trailing slash: paths get a double slash
        modeler = {"accept": "application/json"}
        auth = {**modeler, "authorization": "Basic " + base64.b64encode(f"analyst-1:{PASSWORD}".encode()).decode()}

        status, headers, _ = request(
            port, "GET", base + "/deployment?maxResults=0", {**modeler, "authorization": "undefined"}
        )
        assert status == 401 and headers["www-authenticate"].startswith("Basic")
        status, _, body = request(port, "GET", base + "/deployment?maxResults=0", auth)
        assert status == 200 and json.loads(body) == []
        status, _, body = request(port, "GET", base + "/version", auth)
        assert status == 200 and json.loads(body)["version"].startswith("7.")

        files = [
            (
                "newborn_birth.bpmn",
                (WORKFLOWS / "newborn_birth.bpmn")
                .read_bytes()
                .replace("窗口受理".encode(), "窗口受理（修订）".encode()),
                "text/xml",
            )
        ]
        files += [(p.name, p.read_bytes(), "application/octet-stream") for p in sorted(WORKFLOWS.glob("*.dmn"))]
        assert len(files) == 5
        content_type, form = multipart(
            {
                "deployment-name": "newborn_birth",
                "deployment-source": "Camunda Modeler",
                "enable-duplicate-filtering": "true",
            },
            files,
        )
        status, headers, body = request(
            port, "POST", base + "/deployment/create", {**auth, "content-type": content_type}, form
        )
        assert status == 200, body[:2000]
        deployed = json.loads(body)
        [definition_id] = deployed["deployedProcessDefinitions"]
        assert deployed["id"] and deployed["deployedProcessDefinitions"][definition_id]["version"] == 2

        status, _, body = request(
            port, "POST", base + "/deployment/create", {**auth, "content-type": content_type}, form
        )
        again = json.loads(body)  # unchanged: the same deployment, still with its definitions map
        assert status == 200 and again["id"] == deployed["id"]
        assert again["deployedProcessDefinitions"] == deployed["deployedProcessDefinitions"]

        broken_type, broken = multipart(
            {
                "deployment-name": "newborn_birth",
                "deployment-source": "Camunda Modeler",
                "enable-duplicate-filtering": "true",
            },
            [("newborn_birth.bpmn", files[0][1].replace(b"</bpmn:process>", b""), "text/xml")],
        )
        status, _, body = request(
            port, "POST", base + "/deployment/create", {**auth, "content-type": broken_type}, broken
        )
        assert status == 400 and json.loads(body)["message"].startswith("ENGINE-09005 Could not parse BPMN process.")
        assert "newborn_birth.bpmn:" in json.loads(body)["message"]

        wrong = {**modeler, "authorization": "Basic " + base64.b64encode(b"analyst-1:not the password").decode()}
        status, headers, _ = request(port, "GET", base + "/deployment?maxResults=0", wrong)
        assert status == 401 and headers["www-authenticate"].startswith("Basic")

        portal = {**modeler, "authorization": "Basic " + base64.b64encode(f"portal-1:{PASSWORD}".encode()).decode()}
        status, _, body = request(
            port, "POST", base + "/deployment/create", {**portal, "content-type": content_type}, form
        )
        assert status == 403 and json.loads(body)["type"] == "AuthorizationException"

        application = sample_application(__import__("datetime").datetime.fromisoformat("2026-11-25T10:00:00+08:00"))
        start = {
            "businessKey": None,
            "variables": {
                "application": {"value": json.dumps(application, ensure_ascii=False), "type": "Json"},
                "x": {"value": 5, "type": "Integer"},
            },
        }
        status, _, body = request(
            port,
            "POST",
            f"{base}/process-definition/{definition_id}/start",
            {**auth, "content-type": "application/json"},
            json.dumps(start).encode(),
        )
        assert status == 200, body[:2000]
        assert json.loads(body)["id"] and json.loads(body)["definitionId"] == definition_id

        # a stock Camunda 7 REST client from PyPI: deploy a file and start an instance
        configuration = camunda.Configuration(
            host=f"http://127.0.0.1:{port}/engine-rest", username="analyst-1", password=PASSWORD
        )
        client = camunda.ApiClient(configuration)  # its OpenAPI has no security scheme: the header is ours to set
        client.set_default_header("Authorization", configuration.get_basic_auth_token())
        edited = tmp_path / "newborn_birth.bpmn"
        edited.write_bytes(files[0][1].replace("出生登记审核".encode(), "出生登记审核（修订）".encode()))
        created = camunda.DeploymentApi(client).create_deployment(
            deployment_name="from a client", deployment_source="generic-camunda-client", data=[str(edited)]
        )
        [(client_definition, _)] = created.deployed_process_definitions.items()
        assert client_definition.startswith("newborn_birth:3:")
        application = sample_application(
            __import__("datetime").datetime.fromisoformat("2026-11-25T10:00:00+08:00"), seq=2
        )
        instance = camunda.ProcessDefinitionApi(client).start_process_instance(
            client_definition,
            start_process_instance_dto=camunda.StartProcessInstanceDto(
                variables={"application": camunda.VariableValueDto(value=json.dumps(application), type="Json")}
            ),
        )
        assert instance.id and instance.definition_id == client_definition
        listed = camunda.ProcessDefinitionApi(client).get_process_definitions(key="newborn_birth", latest_version=True)
        assert [d.version for d in listed] == [3]
