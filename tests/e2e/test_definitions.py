"""Analysts' side: definitions list, the deployed XML byte for byte, deployment checks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
BPMN = (WORKFLOWS / "newborn_birth.bpmn").read_bytes()


def deploy(api, files, user="analyst"):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return api.post("/api/deployments", user, data=data, content_type="multipart/form-data")


def test_bundled_process_is_deployed_on_first_start(api):
    definitions = api.get("/api/process-definitions", "supervisor").get_json()
    assert [(d["key"], d["version"], d["deployed_by"]) for d in definitions] == [("newborn_birth", 1, "system")]


def test_deployed_xml_is_returned_byte_for_byte(api):
    response = api.get("/api/process-definitions/newborn_birth/xml?version=1", "analyst")
    assert response.status_code == 200
    assert response.data == BPMN
    assert api.get("/api/process-definitions/newborn_birth/xml?version=9", "analyst").status_code == 404


def test_redeploy_creates_version_2_and_running_instances_keep_version_1(api, application, clock):
    from handlers.newborn.samples import sample_application

    running = api.start(application).get_json()
    edited = BPMN.replace("出生医学证明签发审核".encode(), "出生医学证明签发（第二版）".encode())
    response = deploy(api, [("newborn_birth.bpmn", edited)])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["definitions"][0]["version"] == 2
    assert api.get("/api/process-definitions/newborn_birth/xml?version=2", "analyst").data == edited
    newer = api.start(sample_application(clock.now(), seq=2)).get_json()
    assert newer["definition"]["version"] == 2
    old_step = api.open_steps(running["id"])[0]
    new_step = api.open_steps(newer["id"])[0]
    assert old_step["name"] == "出生医学证明签发审核"
    assert new_step["name"] == "出生医学证明签发（第二版）"
    assert api.approve(old_step["task_id"], "midwifery").status_code == 200


def test_broken_deployment_lists_every_problem_and_stores_nothing(api):
    broken = BPMN.replace(b'camunda:topic="hrss.apply_card"', b'camunda:topic="hrss.print_money"').replace(
        b'camunda:formKey="hukou_review"', b'camunda:formKey="no_such_form"'
    )
    nowhere = BPMN.replace(b'targetRef="feedback"', b'targetRef="nowhere"', 1)
    response = deploy(
        api,
        [
            ("newborn_birth.bpmn", broken),
            ("notes.txt", b"hello"),
            ("bad.bpmn", b"<definitions><oops></definitions>"),
            ("nowhere.bpmn", nowhere),
        ],
    )
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    messages = " | ".join(f"{p['file']}:{p['line']}:{p['message']}" for p in problems)
    assert "hrss.print_money" in messages
    assert "no_such_form" in messages
    assert "notes.txt" in messages
    assert any(p["file"] == "bad.bpmn" and p["line"] for p in problems)
    assert any(p["file"] == "nowhere.bpmn" and "'nowhere'" in p["message"] and p["line"] for p in problems)
    assert all(p["line"] for p in problems if p["file"] == "newborn_birth.bpmn")
    definitions = api.get("/api/process-definitions", "analyst").get_json()
    assert [d["version"] for d in definitions] == [1]


def test_python_in_a_condition_is_refused_at_deployment(api):
    """Nothing in a BPMN file may execute Python: the condition is refused and nothing runs."""
    attack = BPMN.replace(b"${chosen.birth_certificate}", b"${__import__('os').system('touch /tmp/pwned')}")
    response = deploy(api, [("newborn_birth.bpmn", attack)])
    assert response.status_code == 422
    problem = response.get_json()["problems"][0]
    assert problem["element"] == "flow_to_birth_certificate" and "__import__" in problem["expression"]
    assert not Path("/tmp/pwned").exists()


def test_xml_with_entities_is_refused(api):
    xxe = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    response = deploy(api, [("evil.bpmn", xxe)])
    assert response.status_code == 422
    assert "DOCTYPE" in response.get_json()["problems"][0]["message"]


def test_only_analysts_deploy(api):
    assert deploy(api, [("newborn_birth.bpmn", BPMN)], user="clerk" if False else "supervisor").status_code == 403
    assert api.post("/api/deployments", "analyst", data={}).status_code == 400


def test_python_script_task_is_refused_at_deployment(api):
    """A script task may only hold an expression of the restricted dialect; Python is refused."""
    script = (
        b'<bpmn:scriptTask id="evil_script" name="x" scriptFormat="python">'
        b"<bpmn:script>import os; os.system('touch /tmp/pwned2')</bpmn:script></bpmn:scriptTask>"
    )
    attack = BPMN.replace(b"</bpmn:process>", script + b"</bpmn:process>")
    response = deploy(api, [("newborn_birth.bpmn", attack)])
    assert response.status_code == 422
    problems = [p for p in response.get_json()["problems"] if p["element"] == "evil_script"]
    assert problems and problems[0]["line"] and "import os" in problems[0]["expression"]
    assert not Path("/tmp/pwned2").exists()


def test_billion_laughs_is_refused_without_expanding(api):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(f'<!ENTITY lol{i} "{"&lol{}".format(i - 1 if i > 1 else "") * 10}">'.encode() for i in range(1, 10))
        + b"]><lolz>&lol9;</lolz>"
    )
    response = deploy(api, [("lol.bpmn", laughs)])
    assert response.status_code == 422
    assert "DOCTYPE" in response.get_json()["problems"][0]["message"]


# -- deployment safety (issue 13) ----------------------------------------------------------------------------

TIME_LIMITS = (WORKFLOWS / "time_limits.dmn").read_text(encoding="utf-8")


def without_rule(text: str, rule_id: str) -> bytes:
    begin = text.index(f'<rule id="{rule_id}">')
    return (text[:begin] + text[text.index("</rule>", begin) + len("</rule>") :]).encode()


def test_a_script_task_in_another_language_is_refused(api):
    """``scriptFormat="javascript"`` with a body that happens to be valid JUEL would run as JUEL."""
    script = (
        b'<bpmn:scriptTask id="js_script" name="x" scriptFormat="javascript">'
        b"<bpmn:script>${1 + 1}</bpmn:script></bpmn:scriptTask>"
    )
    response = deploy(api, [("newborn_birth.bpmn", BPMN.replace(b"</bpmn:process>", script + b"</bpmn:process>"))])
    assert response.status_code == 422
    [problem] = [p for p in response.get_json()["problems"] if p["element"] == "js_script"]
    assert "scriptFormat 'javascript'" in problem["message"] and problem["line"]
    juel = script.replace(b'scriptFormat="javascript"', b'scriptFormat="juel"')
    assert not [
        p
        for p in deploy(api, [("newborn_birth.bpmn", BPMN.replace(b"</bpmn:process>", juel + b"</bpmn:process>"))])
        .get_json()
        .get("problems", [])
        if p["element"] == "js_script"
    ]


@pytest.mark.parametrize(
    "condition", [b"chosen['birth_certificate'] == True", b"yes", b"${a} ${b}", b"${chosen.birth_certificate} and more"]
)
def test_a_condition_that_is_not_one_expression_is_refused(api, condition):
    """Plain text in a condition (Python pasted in) deploys today and, a non-empty string, counts as true."""
    attack = BPMN.replace(b"${chosen.birth_certificate}", condition, 1)
    response = deploy(api, [("newborn_birth.bpmn", attack)])
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert problem["element"] == "flow_to_birth_certificate" and problem["line"]
    assert "one ${...} expression" in problem["message"] or "not allowed" in problem["message"]


def test_the_literals_true_and_false_are_conditions(api):
    edited = BPMN.replace(b"${chosen.birth_certificate}", b"true", 1)
    assert deploy(api, [("newborn_birth.bpmn", edited)]).status_code == 201


def test_time_limits_without_a_gansu_row_are_refused_by_the_dry_run(api, application):
    """An analyst's ``time_limits.dmn`` with no row for Gansu deployed cleanly, and then every Gansu start
    was refused; the bundled Gansu sample now finds it before it is accepted."""
    response = deploy(api, [("time_limits.dmn", without_rule(TIME_LIMITS, "DecisionRule_gansu"))])
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert problem["file"] == "samples/gansu.json"
    assert "cannot decide it" in problem["message"] and "gansu" in problem["message"]
    assert api.start(application).status_code == 201  # the current version still serves


def test_a_version_that_refuses_a_sample_is_refused_and_force_records_it(api, ctx, tmp_path):
    """An analyst's own sample (a Guizhou window application) and a broken sample file."""
    from dataclasses import replace
    from datetime import datetime

    from engine.clock import CHINA
    from engine.errors import InvalidDeployment
    from engine.usecases.deployments import deploy as deploy_files
    from handlers.newborn.samples import sample_application
    from handlers.newborn.service import NEWBORN

    service = replace(NEWBORN, workflows=tmp_path)  # the newborn service with this test's samples
    samples = tmp_path / "samples"
    samples.mkdir()
    as_of = datetime(2026, 11, 25, 10, tzinfo=CHINA)
    sample = {"as_of": as_of.isoformat(), "application": sample_application(as_of, region="guizhou", channel="window")}
    (samples / "guizhou_window.json").write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    edited = without_rule(TIME_LIMITS, "DecisionRule_guizhou")
    with pytest.raises(InvalidDeployment) as refused:
        deploy_files(ctx, [("time_limits.dmn", edited)], "analyst", service=service)
    assert [p.file for p in refused.value.problems] == ["samples/guizhou_window.json"]
    (samples / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(InvalidDeployment) as refused:
        deploy_files(ctx, [("time_limits.dmn", edited)], "analyst", service=service)
    assert "cannot be read" in refused.value.problems[0].message
    created = deploy_files(ctx, [("time_limits.dmn", edited)], "analyst", force=True, service=service)
    assert {p["file"] for p in created[0]["forced_over"]} == {"samples/broken.json", "samples/guizhou_window.json"}
