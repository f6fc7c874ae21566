"""The engine's SpiffWorkflow extension, with no database: parser, serializer, script engine, runtime."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition

from engine.bpmn.script_engine import JuelScriptEngine
from engine.bpmn.specs import ExternalTask, OutcomeEndEvent, ReviewTask
from engine.business_rules import ProcessParser, StateSerializer
from engine.clock import CHINA, Clock
from engine.expressions import ExpressionError
from engine.handlers import ServiceCall
from engine.projection import summarize
from engine.runtime import (
    advance,
    apply_result,
    ready_external_tasks,
    ready_review_tasks,
    set_start_variables,
    waiting_messages,
)
from engine.safexml import MAX_FILE_BYTES, UnsafeXml, parse_xml
from forms.newborn.application import validate_application
from handlers.newborn import default_registry
from handlers.newborn.policy import start_variables
from handlers.newborn.samples import approval_for, sample_application
from handlers.newborn.service import NEWBORN
from tests.support.calendars import FIXED_CALENDARS, PACKAGE_CALENDAR

from .ledger_double import MemoryLedger

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
BPMN = (WORKFLOWS / "newborn_birth.bpmn").read_bytes()
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def summary_of(workflow):
    """The stored summary of a workflow of the newborn service (the engine's part and the service's)."""
    from datetime import datetime, timezone

    now = datetime(2026, 11, 25, 2, tzinfo=timezone.utc)
    return summarize(workflow, NEWBORN, {}, now, now, PACKAGE_CALENDAR)


def fixed_clock() -> Clock:
    """The service clock at NOW (it runs on from there, as a real one does)."""
    return Clock(NOW - datetime.now(CHINA))


def parser_with_decisions(bpmn: bytes = BPMN) -> ProcessParser:
    """The process and the decision tables it uses, as a deployment holds them."""
    parser = ProcessParser()
    for path in sorted(WORKFLOWS.glob("*.dmn")):
        parser.add_dmn_bytes(path.read_bytes(), path.name)
    parser.add_bpmn_bytes(bpmn, "newborn_birth.bpmn")
    return parser


@pytest.fixture(scope="module")
def specs():
    parser = parser_with_decisions()
    return parser.get_spec("newborn_birth"), parser.get_subprocess_specs("newborn_birth")


def test_parser_reads_what_the_camunda_flavour_drops(specs):
    spec, _ = specs
    police = spec.task_specs["hukou_review"]
    assert isinstance(police, ReviewTask)
    assert police.candidate_groups == ["police"]
    assert police.form.key == "hukou_review"
    assert police.due_date
    assert police.extensions["item"] == "hukou_registration"
    register = spec.task_specs["register_hukou"]
    assert isinstance(register, ExternalTask) and register.topic == "police.register_birth"
    assert register.manual  # the engine waits for the handler, as Camunda waits for an external worker
    outcomes = {name: s.outcome for name, s in spec.task_specs.items() if isinstance(s, OutcomeEndEvent)}
    assert outcomes["end_completed"] == "completed"
    assert outcomes["end_returned_hukou"] == "returned"


def test_every_topic_has_a_handler(specs):
    spec, _ = specs
    topics = {s.topic for s in spec.task_specs.values() if isinstance(s, ExternalTask)}
    assert topics == set(default_registry().topics())


def test_service_task_without_topic_is_refused():
    bad = BPMN.replace(b'camunda:type="external" camunda:topic="hrss.apply_card"', b"")
    parser = parser_with_decisions(bad)
    with pytest.raises(Exception, match="camunda:topic"):
        parser.get_spec("newborn_birth")


def test_spec_converters_round_trip(specs):
    """Our specs have serializer converters (the stock Camunda config has none for service tasks)."""
    serializer = StateSerializer()
    spec, _ = specs
    dct = serializer.spec_to_dict(spec)
    restored = serializer._serializer.from_dict(dct)
    assert restored.task_specs["register_hukou"].topic == "police.register_birth"
    assert restored.task_specs["birth_certificate_review"].candidate_groups == ["midwifery"]
    assert restored.task_specs["end_returned_intake"].outcome == "returned"


def run_until_wait(workflow, registry, ledger):
    """What the worker does, in memory: run each ready service task's handler and apply its result."""
    advance(workflow)
    while external := ready_external_tasks(workflow):
        for task in external:
            call = ServiceCall(
                topic=task.task_spec.topic,
                idempotency_key=f"i-1:{task.id}",
                business_key="bk-1",
                variables=task.data,
                now=NOW,
                ledger=ledger,
                calendar=PACKAGE_CALENDAR,
            )
            apply_result(task, registry.get(task.task_spec.topic)(call))
        advance(workflow)


def _run(specs, application, ledger, decisions):
    """Run the real process in memory with the real handlers; ``decisions`` maps activity → variables."""
    spec, subprocess_specs = specs
    engine = JuelScriptEngine(fixed_clock(), FIXED_CALENDARS)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
    set_start_variables(workflow, start_variables(validate_application(application, now=NOW), NOW))
    serializer = StateSerializer()
    registry = default_registry()
    seen = []
    for _ in range(10):
        run_until_wait(workflow, registry, ledger)
        # a full save/load round trip at every wait state, as the service does
        workflow = serializer.loads(serializer.dumps(workflow), spec, subprocess_specs, engine)
        ready = ready_review_tasks(workflow)
        if not ready:
            waiting = waiting_messages(workflow)
            if not waiting:
                return workflow, seen
            for _task, name in waiting:
                seen.append(name)
                workflow.send_event(
                    BpmnEvent(MessageEventDefinition(name), payload={"payload": {}, "result_var": name})
                )
        for task in ready:
            seen.append(task.task_spec.bpmn_id)
            values = decisions.get(task.task_spec.bpmn_id) or approval_for(task.task_spec.form.key)
            task.data.update(values)
            task.data.setdefault("reviews", {})[task.task_spec.bpmn_id] = values
            task.run()
    raise AssertionError("did not finish")


def test_in_memory_run_completes_with_state_only_serialization(specs):
    application = sample_application(NOW, channel="window")
    workflow, seen = _run(specs, application, MemoryLedger(), {})
    assert seen == ["window_intake", "birth_certificate_review", "hukou_review", "hukou_page_printed", "premium_paid"]
    summary = summary_of(workflow)
    assert summary["outcome"] == "completed"
    assert all(item["status"] == "done" for item in summary["items"])
    state = StateSerializer().dumps(workflow)
    assert '"spec"' not in state[:200] and "task_specs" not in state  # the spec is never stored per instance


def test_a_return_terminates_parallel_branches(specs):
    """R2.6: a midwifery return ends the instance `returned`; nothing after it runs."""
    application = sample_application(NOW)
    ret = {"decision": "return", "reason": "分娩记录与母亲身份证不一致"}
    workflow, seen = _run(specs, application, MemoryLedger(), {"birth_certificate_review": ret})
    assert seen == ["birth_certificate_review"]
    summary = summary_of(workflow)
    assert summary["outcome"] == "returned"
    assert summary["returned"]["reason"] == ret["reason"] and summary["returned"]["group"] == "midwifery"
    statuses = {i["code"]: i["status"] for i in summary["items"]}
    assert statuses["birth_certificate"] == "returned"
    assert statuses["hukou_registration"] == "stopped"


@pytest.mark.parametrize(
    "expression",
    [
        "${__import__('os').system('true')}",
        "${().__class__.__mro__}",
        "${lambda: 1}",
        "${open('/etc/passwd')}",
    ],
)
def test_script_engine_never_runs_python(specs, expression):
    engine = JuelScriptEngine()
    workflow = BpmnWorkflow(*specs, script_engine=engine)
    task = workflow.get_tasks()[0]
    with pytest.raises(ExpressionError):
        engine.validate(expression)
    with pytest.raises(WorkflowTaskException):
        engine.evaluate(task, expression)
    with pytest.raises(WorkflowTaskException):
        engine.execute(task, "x = 1")
    with pytest.raises(WorkflowTaskException):
        engine.execute(task, expression)


def test_xml_parsing_refuses_dtds_entities_and_huge_files():
    with pytest.raises(UnsafeXml):
        parse_xml(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    with pytest.raises(UnsafeXml):
        parse_xml(b"<x>" + b" " * MAX_FILE_BYTES + b"</x>")
    with pytest.raises(UnsafeXml) as err:
        parse_xml(b"<x>\n<y></x>")
    assert err.value.line == 2


def test_step_keys_say_what_the_step_is_and_stay_short(specs):
    """Issue 13: a department call's key is the instance and activity, the same in every run of a chain."""
    from engine.runtime import MAX_STEP_KEY, step_key

    workflow = BpmnWorkflow(*specs, script_engine=JuelScriptEngine(fixed_clock(), FIXED_CALENDARS))
    task = next(iter(workflow.tasks.values()))
    assert step_key("i-1", task) == f"i-1:{task.task_spec.bpmn_id or task.task_spec.name}"
    long = step_key("i-1" * 100, task)
    assert len(long) <= MAX_STEP_KEY and long == step_key("i-1" * 100, task)
