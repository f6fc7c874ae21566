"""BPMN errors thrown on a running service task (a department's refusal), with no database: which error boundary
event catches a code, the variables Camunda Modeler offers, the step key of the run after a correction, the
serializer, and the deployment check. ``data/error_events.bpmn``: a subprocess with a boundary event catching
every error; after it ``step_b`` with one boundary event for the code ``x`` (back to a user task, then to
``step_b`` again) and one for every other code; ``step_c`` with none."""

from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from engine.bpmn.error_events import THROWN
from engine.bpmn.script_engine import JuelScriptEngine
from engine.bpmn.specs import CamundaErrorEventDefinition
from engine.business_rules import ProcessParser, StateSerializer
from engine.clock import Clock
from engine.definitions import Checks, parse_deployment
from engine.errors import InvalidDeployment
from engine.handlers import BusinessError, HandlerResult
from engine.runtime import advance, apply_result, ready_external_tasks, ready_review_tasks, refuse, step_key
from tests.support.calendars import PACKAGE_CALENDAR

BPMN = (Path(__file__).parent / "data" / "error_events.bpmn").read_bytes()


def workflow() -> BpmnWorkflow:
    parser = ProcessParser()
    parser.add_bpmn_bytes(BPMN, "error_events.bpmn")
    wf = BpmnWorkflow(
        parser.get_spec("errors"),
        parser.get_subprocess_specs("errors"),
        script_engine=JuelScriptEngine(Clock(), PACKAGE_CALENDAR),
    )
    advance(wf)
    return wf


def ready(wf, activity: str):
    [task] = [t for t in ready_external_tasks(wf) if t.task_spec.bpmn_id == activity]
    return task


def done(wf, activity: str) -> None:
    apply_result(ready(wf, activity), HandlerResult())
    advance(wf)


def test_the_boundary_event_for_the_code_takes_the_flow_with_the_modelers_variables():
    wf = workflow()
    done(wf, "step_a")
    task = ready(wf, "step_b")
    record = refuse(task, BusinessError("x", "编号已被使用"))
    assert record.kind == "business_error" and record.reason == "编号已被使用"
    assert record.detail["code"] == "x" and record.detail["caught_by"] == "b_refused_x"
    advance(wf)
    assert task.state == TaskState.CANCELLED and not ready_external_tasks(wf)
    [fix] = ready_review_tasks(wf)
    assert fix.task_spec.bpmn_id == "fix_x"
    assert fix.data["refusal_code"] == "x" and fix.data["refusal_message"] == "编号已被使用"
    [other] = [t for t in wf.get_tasks() if t.task_spec.bpmn_id == "b_refused_any"]
    assert other.state == TaskState.CANCELLED  # one event catches it, the other waits no more


def test_the_run_after_the_correction_is_a_step_of_its_own():
    wf = workflow()
    done(wf, "step_a")
    first = ready(wf, "step_b")
    assert step_key("i-1", first) == "i-1:step_b"
    refuse(first, BusinessError("x", "编号已被使用"))
    advance(wf)
    assert first.internal_data[THROWN] == "x"
    [fix] = ready_review_tasks(wf)
    fix.run()
    advance(wf)
    again = ready(wf, "step_b")
    assert step_key("i-1", again) == "i-1:step_b#2"
    apply_result(again, HandlerResult())
    advance(wf)
    assert step_key("i-1", ready(wf, "step_c")) == "i-1:step_c"


def test_another_code_goes_to_the_event_catching_every_code():
    wf = workflow()
    done(wf, "step_a")
    record = refuse(ready(wf, "step_b"), BusinessError("y", "其他原因"))
    assert record.detail["caught_by"] == "b_refused_any"
    advance(wf)
    assert wf.completed and not ready_review_tasks(wf)
    assert [
        t.task_spec.bpmn_id
        for t in wf.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.bpmn_id and t.task_spec.bpmn_id.startswith("end")
    ] == ["end_other"]


def test_an_error_inside_a_subprocess_goes_to_the_subprocess_boundary_event():
    wf = workflow()
    record = refuse(ready(wf, "step_a"), BusinessError("z", "内部被拒"))
    assert record.detail["caught_by"] == "inner_failed"
    advance(wf)
    assert wf.completed and not ready_external_tasks(wf)


def test_a_code_nothing_catches_changes_nothing():
    wf = workflow()
    done(wf, "step_a")
    done(wf, "step_b")
    task = ready(wf, "step_c")
    assert refuse(task, BusinessError("x", "编号已被使用")) is None
    advance(wf)
    assert task.state == TaskState.READY and THROWN not in task.internal_data


def test_a_business_error_needs_a_code():
    for code in ("", " x", "x" * 101, None):
        with pytest.raises(ValueError):
            BusinessError(code, "消息")


def test_the_error_definitions_keep_their_variables_through_the_serializer():
    parser = ProcessParser()
    parser.add_bpmn_bytes(BPMN, "error_events.bpmn")
    spec = parser.get_spec("errors")
    definition = spec.task_specs["b_refused_x"].event_definition
    assert isinstance(definition, CamundaErrorEventDefinition)
    assert (definition.code, definition.code_variable, definition.message_variable) == (
        "x",
        "refusal_code",
        "refusal_message",
    )
    assert spec.task_specs["b_refused_any"].event_definition.code is None
    serializer = StateSerializer()
    restored = serializer._serializer.from_dict(serializer.spec_to_dict(spec))
    kept = restored.task_specs["b_refused_x"].event_definition
    assert (kept.code, kept.code_variable, kept.message_variable) == ("x", "refusal_code", "refusal_message")

    wf = workflow()  # and a refused instance is saved and loaded as any other
    done(wf, "step_a")
    refuse(ready(wf, "step_b"), BusinessError("x", "编号已被使用"))
    loaded = serializer.loads(serializer.dumps(wf), wf.spec, wf.subprocess_specs, wf.script_engine)
    advance(loaded)
    assert ready_review_tasks(loaded)[0].data["refusal_message"] == "编号已被使用"


def test_a_non_interrupting_error_boundary_event_is_refused_at_deployment():
    bad = BPMN.replace(
        b'name="X\xe8\xa2\xab\xe6\x8b\x92" attachedToRef="step_b"',
        b'name="X\xe8\xa2\xab\xe6\x8b\x92" cancelActivity="false" attachedToRef="step_b"',
    )
    assert bad != BPMN
    checks = Checks(
        topics=frozenset({"dept.a", "dept.b", "dept.c"}), form_keys=frozenset({"fix"}), groups=frozenset({"dept"})
    )
    parse_deployment([("error_events.bpmn", BPMN)], checks)
    with pytest.raises(InvalidDeployment) as refused:
        parse_deployment([("error_events.bpmn", bad)], checks)
    [problem] = refused.value.problems
    assert problem.element == "b_refused_x" and "cancelActivity" in problem.message
