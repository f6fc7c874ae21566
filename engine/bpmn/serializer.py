"""Serialization of running instances: our specs' converters, and state stored without the spec.

A deployed version's spec is parsed once and cached (``engine.definitions``); an instance's stored state
holds only its tasks and data, in our compact format (:mod:`engine.bpmn.compact_state`: each value stored
once per instance). ``dumps``/``loads`` put the cached spec back when restoring. States written in the
library's own format (before the compact one, marked by its absence) still load.
"""

from __future__ import annotations

import json
from copy import deepcopy
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import ErrorEscalationEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.task_spec import UserTaskConverter
from SpiffWorkflow.camunda.specs.user_task import Form
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge

from . import compact_state
from .specs import CamundaErrorEventDefinition, ExternalTask, OutcomeEndEvent, ReviewTask
from .timers import ClockCycle, ClockDuration, ClockTimeDate


class ExternalTaskConverter(TaskSpecConverter):
    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct["topic"] = spec.topic
        return dct

    def from_dict(self, dct):
        return self.task_spec_from_dict(dct)


class ReviewTaskConverter(UserTaskConverter):
    def to_dict(self, spec):
        dct = super().to_dict(spec)
        dct.update(
            candidate_groups=spec.candidate_groups,
            candidate_users=spec.candidate_users,
            assignee=spec.assignee,
            due_date=spec.due_date,
        )
        return dct

    def from_dict(self, dct):
        dct["form"] = Form(init=dct["form"])
        return self.task_spec_from_dict(dct)


class CamundaErrorEventDefinitionConverter(ErrorEscalationEventDefinitionConverter):
    def to_dict(self, event_definition):
        dct = super().to_dict(event_definition)
        dct.update(code_variable=event_definition.code_variable, message_variable=event_definition.message_variable)
        return dct


class PlainDataTaskConverter(TaskConverter):
    """Restores a task's data as stored, without walking it through the type registry.

    The library writes task data (the root's ``data``, the others' ``delta``) as it is, never through the
    registry, so there is nothing to restore in it; walking every value of every task's data on every load
    was most of the time a load took.
    """

    def from_dict(self, dct, workflow):
        task = super().from_dict({**dct, "data": {}, "delta": {}}, workflow)
        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            data.update(delta.get("updates", {}))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
            task.data = data
        else:
            task.data = dct["data"]
        return task


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its specs, in our compact format; restores it (from that format or from
    the library's) onto specs given by the caller."""

    def to_dict(self, workflow):
        return compact_state.workflow_to_dict(workflow, self.registry)

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if "spec" in dct:  # a full serialization (e.g. from another tool): use its own specs
            spec = self.registry.restore(dct.pop("spec"))
            subprocess_specs = self.mapping_from_dict(dct.pop("subprocess_specs", {}))
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        if dct.get(compact_state.FORMAT_KEY) == compact_state.FORMAT:
            compact_state.workflow_from_dict(dct, workflow, self.registry)
            return workflow
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class LibraryFormatWorkflowConverter(StateOnlyWorkflowConverter):
    """Writes a workflow without its specs in the library's own format (as before our compact one)."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def _config(extra: dict | None = None, library_tasks: bool = False) -> dict:
    config = deepcopy(CAMUNDA_CONFIG)
    config[ExternalTask] = ExternalTaskConverter
    config[ReviewTask] = ReviewTaskConverter
    config[CamundaErrorEventDefinition] = CamundaErrorEventDefinitionConverter
    config.update(extra or {})
    config[OutcomeEndEvent] = config[EndEvent]
    config[ClockTimeDate] = config[TimeDateEventDefinition]
    config[ClockDuration] = config[DurationTimerEventDefinition]
    config[ClockCycle] = config[CycleTimerEventDefinition]
    config[BpmnWorkflow] = LibraryFormatWorkflowConverter if library_tasks else StateOnlyWorkflowConverter
    config[Task] = TaskConverter if library_tasks else PlainDataTaskConverter
    return config


class StateSerializer:
    """JSON state of one instance, without the spec, tagged with the serializer version."""

    def __init__(self, converters: dict | None = None, *, library_format: bool = False) -> None:
        """``converters``: more spec classes → converters (the business rule task's); ``library_format``:
        the state as the library itself writes and reads it (the benchmark's floor; states stored before our
        own format)."""
        self._library_format = library_format
        self._serializer = BpmnWorkflowSerializer(
            BpmnWorkflowSerializer.configure(_config(converters, library_tasks=library_format))
        )

    @property
    def version(self) -> str:
        """The library's serializer version, and ours when the state is in our format (e.g. ``1.5+f2``)."""
        if self._library_format:
            return self._serializer.VERSION
        return f"{self._serializer.VERSION}+f{compact_state.FORMAT}"

    def dumps(self, workflow: BpmnWorkflow) -> str:
        dct = self._serializer.to_dict(workflow)
        dct[self._serializer.VERSION_KEY] = self._serializer.VERSION
        return json.dumps(dct, ensure_ascii=False, separators=(",", ":"))

    def loads(self, state: str, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
        dct = json.loads(state)
        self._serializer.migrate(dct)
        workflow = self._serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow

    def task_data(self, state: str, task_id: UUID) -> tuple[bool, dict | None]:
        """(whether the state says, one task's data or None when no task has that id), without restoring the
        workflow; a state in the library's format does not say (the caller loads it)."""
        dct = json.loads(state)
        if dct.get(compact_state.FORMAT_KEY) != compact_state.FORMAT:
            return False, None
        return True, compact_state.task_data(dct, task_id)

    def spec_to_dict(self, spec) -> dict:
        """The full spec as the library serializes it (used to check our converters round-trip)."""
        return self._serializer.to_dict(spec)
