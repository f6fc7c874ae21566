"""The process models must open cleanly in Camunda Modeler 5 (Camunda 7 flavour).

Runs ``tests/modeler/check.mjs`` on every ``workflows/*.bpmn`` (bpmn-moddle + camunda-bpmn-moddle import,
diagram-interchange completeness, bpmnlint ``recommended``) and every ``workflows/*.dmn`` (dmn-moddle +
camunda-dmn-moddle import, a DMNShape per decision, ``@bpmn-io/feel-lint`` on every decision-table cell and
literal expression).
The node tooling is installed with ``npm ci --prefix tests/modeler``; without it the test is skipped
locally and fails in CI (``CI=true``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELER_DIR = ROOT / "tests" / "modeler"
CHECK = MODELER_DIR / "check.mjs"
WORKFLOWS = sorted((ROOT / "workflows").rglob("*.bpmn"))
DECISIONS = sorted((ROOT / "workflows").rglob("*.dmn"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _require_tooling() -> str:
    """Return the node executable, or skip (locally) / fail (in CI) when the tooling is missing."""
    node = shutil.which("node")
    problems = []
    if node is None:
        problems.append("`node` is not on PATH")
    if not (MODELER_DIR / "node_modules").is_dir():
        problems.append("tests/modeler/node_modules is missing (run `npm ci --prefix tests/modeler`)")
    if problems:
        reason = "Modeler check unavailable: " + "; ".join(problems)
        if _in_ci():
            pytest.fail(reason + " -- CI must install it before pytest", pytrace=False)
        pytest.skip(reason)
    return node


def _run_check(node: str, *files: Path) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run(
        [node, str(CHECK), *map(str, files)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=ROOT,
    )
    try:
        summary = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"check.mjs printed no JSON summary (exit {proc.returncode})\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}",
            pytrace=False,
        )
    return proc, summary


def test_workflows_exist():
    assert WORKFLOWS, "no workflows/*.bpmn found"


def test_workflows_open_cleanly_in_modeler():
    """Zero import warnings, every flow element / decision drawn, zero bpmnlint errors (warnings are allowed),
    zero FEEL lint findings in decision tables."""
    node = _require_tooling()
    proc, summary = _run_check(node, *WORKFLOWS, *DECISIONS)

    assert proc.returncode == 0 and summary["ok"], (
        f"Modeler check failed (exit {proc.returncode}) for {summary.get('failed')}\n"
        f"{proc.stderr}\n{json.dumps(summary, ensure_ascii=False, indent=2)}"
    )
    assert summary["checked"] == len(WORKFLOWS) + len(DECISIONS)
    for result in summary["files"]:
        assert result["import"]["warnings"] == []
        assert result["diagram"]["missing"] == [] and result["diagram"]["invalid"] == []
        if result["kind"] == "bpmn":
            assert result["lint"]["errors"] == []
        else:
            assert result["kind"] == "dmn" and result["feel"]["findings"] == []


BROKEN_BPMN = textwrap.dedent(
    """\
    <?xml version="1.0" encoding="UTF-8"?>
    <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
        xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
        xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
        xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
        xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
        id="Definitions_broken" targetNamespace="http://bpmn.io/schema/bpmn">
      <bpmn:process id="broken" name="坏流程" isExecutable="true">
        <bpmn:startEvent id="start" name="开始" camunda:notAnAttribute="x">
          <bpmn:outgoing>flow_start_end</bpmn:outgoing>
        </bpmn:startEvent>
        <bpmn:sequenceFlow id="flow_start_end" sourceRef="start" targetRef="end" />
        <bpmn:endEvent id="end" name="结束">
          <bpmn:incoming>flow_start_end</bpmn:incoming>
        </bpmn:endEvent>
      </bpmn:process>
      <bpmndi:BPMNDiagram id="BPMNDiagram_1">
        <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="broken">
          <bpmndi:BPMNShape id="start_di" bpmnElement="start">
            <dc:Bounds x="152" y="82" width="36" height="36" />
          </bpmndi:BPMNShape>
          <bpmndi:BPMNShape id="end_di" bpmnElement="end">
            <dc:Bounds x="252" y="82" width="36" height="36" />
          </bpmndi:BPMNShape>
        </bpmndi:BPMNPlane>
      </bpmndi:BPMNDiagram>
    </bpmn:definitions>
    """
)


def test_checker_reports_missing_edge_and_unknown_camunda_attribute(tmp_path):
    """The checker can fail: a flow without its BPMNEdge and an unknown camunda: attribute are reported."""
    node = _require_tooling()
    broken = tmp_path / "broken.bpmn"
    broken.write_text(BROKEN_BPMN, encoding="utf-8")

    proc, summary = _run_check(node, broken)

    assert proc.returncode != 0, proc.stderr
    assert summary["ok"] is False and summary["failed"] == [str(broken)]
    (result,) = summary["files"]

    import_messages = [w["message"] for w in result["import"]["warnings"]]
    assert any("camunda:notAnAttribute" in m for m in import_messages), import_messages

    missing = {(m["id"], m["expected"]) for m in result["diagram"]["missing"]}
    assert ("flow_start_end", "bpmndi:BPMNEdge") in missing, result["diagram"]

    assert any(e["rule"] == "no-bpmndi" and e["id"] == "flow_start_end" for e in result["lint"]["errors"]), result[
        "lint"
    ]


VALID_DMN = textwrap.dedent(
    """\
    <?xml version="1.0" encoding="UTF-8"?>
    <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
        xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
        xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
        xmlns:modeler="http://camunda.org/schema/modeler/1.0"
        xmlns:camunda="http://camunda.org/schema/1.0/dmn"
        id="Definitions_limits" name="时限" namespace="http://camunda.org/schema/1.0/dmn"
        exporter="Camunda Modeler" exporterVersion="5.31.0"
        modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0">
      <decision id="time_limit" name="办结时限">
        <decisionTable id="DecisionTable_limit" hitPolicy="FIRST">
          <input id="Input_region" label="地区" camunda:inputVariable="region_code">
            <inputExpression id="InputExpression_region" typeRef="string">
              <text>application.region</text>
            </inputExpression>
            <inputValues id="UnaryTests_regions">
              <text>"gansu","guizhou"</text>
            </inputValues>
          </input>
          <input id="Input_born" label="出生日期">
            <inputExpression id="InputExpression_born" typeRef="date">
              <text>born_on</text>
            </inputExpression>
          </input>
          <output id="Output_days" label="工作日" name="days" typeRef="integer" />
          <rule id="Rule_gansu">
            <description>R5: Gansu hukou registration</description>
            <inputEntry id="UnaryTests_gansu">
              <text>"gansu"</text>
            </inputEntry>
            <inputEntry id="UnaryTests_gansu_born">
              <text>&lt;= today()</text>
            </inputEntry>
            <outputEntry id="LiteralExpression_gansu">
              <text>1</text>
            </outputEntry>
          </rule>
          <rule id="Rule_other">
            <inputEntry id="UnaryTests_other">
              <text>not("gansu")</text>
            </inputEntry>
            <inputEntry id="UnaryTests_other_born">
              <text>-</text>
            </inputEntry>
            <outputEntry id="LiteralExpression_other">
              <text>if region_code = "guizhou" then 3 else null</text>
            </outputEntry>
          </rule>
        </decisionTable>
      </decision>
      <dmndi:DMNDI>
        <dmndi:DMNDiagram id="DMNDiagram_limits">
          <dmndi:DMNShape id="DMNShape_limit" dmnElementRef="time_limit">
            <dc:Bounds height="80" width="180" x="160" y="100" />
          </dmndi:DMNShape>
        </dmndi:DMNDiagram>
      </dmndi:DMNDI>
    </definitions>
    """
)


def test_checker_passes_a_modeler_style_dmn(tmp_path):
    """A decision table as Camunda Modeler 5 writes it passes, and our DMN parser reads it too."""
    from engine.dmn import parse_dmn

    node = _require_tooling()
    valid = tmp_path / "limits.dmn"
    valid.write_text(VALID_DMN, encoding="utf-8")

    proc, summary = _run_check(node, valid)

    assert proc.returncode == 0 and summary["ok"], proc.stderr
    (result,) = summary["files"]
    assert result["kind"] == "dmn" and result["import"]["warnings"] == [] and result["feel"]["findings"] == []
    assert parse_dmn(valid.read_bytes(), "limits.dmn").problems == []


def test_checker_reports_bad_feel_unknown_attribute_and_undrawn_decision(tmp_path):
    """The DMN checker can fail: a FEEL syntax error in a cell, Python in an output entry, an unknown
    camunda: attribute and a decision without a DMNShape are each reported."""
    node = _require_tooling()
    bad = (
        VALID_DMN.replace("<text>&lt;= today()</text>", "<text>&lt;= today(</text>")
        .replace("<text>1</text>", "<text>__import__('os')</text>")
        .replace('hitPolicy="FIRST"', 'hitPolicy="FIRST" camunda:notAnAttribute="x"')
        .replace('dmnElementRef="time_limit"', 'dmnElementRef="elsewhere"')
    )
    broken = tmp_path / "broken.dmn"
    broken.write_text(bad, encoding="utf-8")

    proc, summary = _run_check(node, broken)

    assert proc.returncode != 0, proc.stderr
    assert summary["ok"] is False and summary["failed"] == [str(broken)]
    (result,) = summary["files"]
    findings = {(f["element"], f["cell"], f["text"]) for f in result["feel"]["findings"]}
    assert ("Rule_gansu", "input entry 2", "<= today(") in findings, result["feel"]
    assert ("Rule_gansu", "output entry 1", "__import__('os')") in findings, result["feel"]
    assert all(f["decision"] == "time_limit" for f in result["feel"]["findings"])
    import_messages = [w["message"] for w in result["import"]["warnings"]]
    assert any("camunda:notAnAttribute" in m for m in import_messages), import_messages
    assert result["diagram"]["missing"] == [
        {"id": "time_limit", "type": "dmn:Decision", "expected": "dmndi:DMNShape"}
    ], result["diagram"]


LITERAL_DMN = VALID_DMN.replace(
    "  <dmndi:DMNDI>",
    '  <decision id="all_limits" name="全部时限">\n'
    '    <variable id="InformationItem_all" name="limits" />\n'
    '    <informationRequirement id="InformationRequirement_limit">\n'
    '      <requiredDecision href="#time_limit" />\n'
    "    </informationRequirement>\n"
    '    <literalExpression id="LiteralExpression_all">\n'
    "      <text>concatenate([time_limit], [])</text>\n"
    "    </literalExpression>\n"
    "  </decision>\n"
    "  <dmndi:DMNDI>",
).replace(
    "    </dmndi:DMNDiagram>",
    '      <dmndi:DMNShape id="DMNShape_all" dmnElementRef="all_limits">\n'
    '        <dc:Bounds height="80" width="180" x="160" y="-60" />\n'
    "      </dmndi:DMNShape>\n"
    "    </dmndi:DMNDiagram>",
)


def test_checker_lints_literal_expression_decisions(tmp_path):
    """A literal expression decision (as the eligibility gather is) passes when its FEEL is valid and is
    reported when it is not."""
    node = _require_tooling()
    good = tmp_path / "literal.dmn"
    good.write_text(LITERAL_DMN, encoding="utf-8")
    proc, summary = _run_check(node, good)
    assert proc.returncode == 0 and summary["ok"], proc.stderr

    bad = tmp_path / "bad_literal.dmn"
    bad.write_text(LITERAL_DMN.replace("concatenate([time_limit], [])", "concatenate([time_limit], "), encoding="utf-8")
    proc, summary = _run_check(node, bad)
    assert proc.returncode != 0
    (result,) = summary["files"]
    assert {(f["decision"], f["cell"]) for f in result["feel"]["findings"]} == {("all_limits", "literal expression")}
