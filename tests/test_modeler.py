"""The process models must open cleanly in Camunda Modeler 5 (Camunda 7 flavour).

Runs ``tests/modeler/check.mjs`` (bpmn-moddle + camunda-bpmn-moddle import, diagram-interchange
completeness, bpmnlint ``recommended``) on every ``workflows/*.bpmn``. The node tooling is installed with
``npm ci --prefix tests/modeler``; without it the test is skipped locally and fails in CI (``CI=true``).
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
WORKFLOWS = sorted((ROOT / "workflows").glob("*.bpmn"))


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
    """Zero import warnings, every flow element drawn, zero bpmnlint errors (warnings are allowed)."""
    node = _require_tooling()
    proc, summary = _run_check(node, *WORKFLOWS)

    assert proc.returncode == 0 and summary["ok"], (
        f"Modeler check failed (exit {proc.returncode}) for {summary.get('failed')}\n"
        f"{proc.stderr}\n{json.dumps(summary, ensure_ascii=False, indent=2)}"
    )
    assert summary["checked"] == len(WORKFLOWS)
    for result in summary["files"]:
        assert result["import"]["warnings"] == []
        assert result["diagram"]["missing"] == [] and result["diagram"]["invalid"] == []
        assert result["lint"]["errors"] == []


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
