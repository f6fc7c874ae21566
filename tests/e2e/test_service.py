"""The service around the flow: health, the OpenAPI document, the demo and the command line."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from api.demo import run_demo
from engine.cli import main


def test_health(api):
    response = api.get("/api/health")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert set(body["calendar"]) == {"official_years", "provisional_years", "uncovered_years"}


def test_openapi_document_is_generated_from_the_schemas(api):
    spec = api.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/process-definitions/{key}/start",
        "/api/process-instances/{instance_id}",
        "/api/applications/{business_key}/progress",
        "/api/tasks",
        "/api/tasks/{task_id}/complete",
        "/api/deployments",
        "/api/health",
    ):
        assert path in paths, path
    assert "Application" in spec["components"]["schemas"]
    mother = spec["components"]["schemas"]["Application"]["properties"]["mother"]
    assert mother


def test_demo_ends_with_a_completed_application(tmp_path, clock):
    out = io.StringIO()
    state = run_demo(f"sqlite:///{tmp_path / 'demo.db'}", out=out, clock=clock)
    text = out.getvalue()
    assert state == "completed"
    for step in ("提交申请", "窗口受理", "出生医学证明签发审核", "出生登记审核", "结果反馈"):
        assert step in text, text
    assert "已办结" in text


def test_user_add_prints_the_token_alone_on_the_last_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    out = io.StringIO()
    with redirect_stdout(out):
        assert (
            main(["user", "add", "lanzhou-police-1", "--role", "clerk", "--group", "police", "--jurisdiction", "6201"])
            == 0
        )
    token = out.getvalue().strip().splitlines()[-1]
    assert len(token) >= 32 and " " not in token
    with redirect_stdout(io.StringIO()):
        assert main(["user", "add", "x", "--role", "wizard"]) == 2
        assert main(["user", "revoke", "lanzhou-police-1"]) == 0


def test_cli_deploy_reports_problems_with_file_and_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    bad = tmp_path / "broken.bpmn"
    bad.write_text("<definitions>\n<unclosed>\n</definitions>")
    assert main(["deploy", str(bad)]) == 1
    assert "broken.bpmn:" in capsys.readouterr().err
