"""The library's floor: SpiffWorkflow alone running ``workflows/newborn_birth.bpmn`` in memory — the same
user tasks completed with the same form variables, service tasks completed without handlers, the same
messages delivered — with no database, no serialization and no HTTP; and the same with the whole workflow
state written to JSON and read back from it at every wait state (``measure_json``), as a service storing
it must, with the library's own task format (each task's data as its changes from its parent's)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition

from engine.bpmn.script_engine import JuelScriptEngine
from engine.business_rules import LibraryStateSerializer, ProcessParser
from engine.calendar import WorkdayCalendar, package_notices
from engine.calendar_source import StaticCalendarSource
from engine.clock import iso
from engine.runtime import (
    advance,
    ready_external_tasks,
    ready_review_tasks,
    set_start_variables,
    waiting_messages,
)
from forms.newborn.application import validate_application
from handlers.newborn.policy import start_variables as policy_start_variables
from handlers.newborn.samples import approval_for
from tests.support.lifecycle import MESSAGES, application_for

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows" / "newborn"


def parse(key: str = "newborn_birth"):
    parser = ProcessParser()
    for path in sorted(WORKFLOWS.iterdir()):
        if path.suffix == ".bpmn":
            parser.add_bpmn_bytes(path.read_bytes(), path.name)
        elif path.suffix == ".dmn":
            parser.add_dmn_bytes(path.read_bytes(), path.name)
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def script_engine() -> JuelScriptEngine:
    """The script engine, counting working days on the package's calendar."""
    return JuelScriptEngine(calendars=StaticCalendarSource(WorkdayCalendar(package_notices())))


def start_variables(seq: int, now: datetime) -> dict:
    """The variables the service starts an instance with (with ``facts``: without them every application
    was refused at its first gateway, and the floor measured an eight-task run)."""
    return policy_start_variables(validate_application(application_for(seq, now), now=now), now)


def lifecycle(
    spec, subprocess_specs, engine: JuelScriptEngine, variables: dict, seq: int, now: datetime, serializer=None
) -> str:
    """One application to its end; with ``serializer``, the workflow is dumped to JSON and loaded back
    after it starts and after every round of actions (each a wait state)."""
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
    set_start_variables(workflow, variables)
    advance(workflow)

    def round_trip(workflow):
        if serializer is None:
            return workflow
        return serializer.loads(serializer.dumps(workflow), spec, subprocess_specs, engine)

    workflow = round_trip(workflow)
    for _ in range(100):
        if workflow.completed:
            return "completed"
        acted = act(workflow, seq, now)
        workflow = round_trip(workflow)
        if not acted:
            break
    return "stalled"


def act(workflow: BpmnWorkflow, seq: int, now: datetime) -> bool:
    """One round of what the clerks, the portal and the worker do at a wait state: the messages waited for
    delivered, the reviews completed with their sample answers, the service tasks completed without
    handlers; then the engine's own steps. Whether anything was done."""
    acted = False
    for _, name in waiting_messages(workflow):
        workflow.send_event(
            BpmnEvent(MessageEventDefinition(name), payload={"payload": MESSAGES.get(name, {}), "result_var": name})
        )
        acted = True
    for task in ready_review_tasks(workflow):
        values = approval_for(task.task_spec.form.key, seq)
        task.data.update(values)
        task.data.setdefault("reviews", {})[task.task_spec.bpmn_id] = {**values, "clerk": "bench", "at": iso(now)}
        task.run()
        acted = True
    for task in ready_external_tasks(workflow):
        task.run()
        acted = True
    advance(workflow)
    return acted


def measure(apps: int, now: datetime, serializer=None) -> float:
    """Lifecycles per second of SpiffWorkflow alone (one thread; parsing and form validation not timed)."""
    spec, subprocess_specs = parse()
    engine = script_engine()
    variables = [start_variables(seq, now) for seq in range(1, apps + 1)]
    lifecycle(spec, subprocess_specs, engine, variables[0], 1, now, serializer)  # warm the expression caches
    started = time.perf_counter()
    for seq, start in enumerate(variables, 1):
        state = lifecycle(spec, subprocess_specs, engine, start, seq, now, serializer)
        if state != "completed":
            raise RuntimeError(f"the floor's application {seq} {state}")
    return apps / (time.perf_counter() - started)


def measure_json(apps: int, now: datetime) -> float:
    """Milliseconds per lifecycle of SpiffWorkflow alone with its whole state (without the spec, which is
    stored once per deployed version) written to JSON and read back at every wait state, in the library's
    own task format."""
    return 1000 / measure(apps, now, LibraryStateSerializer())
