"""The engine's dependencies in one object, and the load/step/save cycle every use case shares.

``EngineContext`` holds the database sessions, the handler registry, the spec cache, the serializer,
the script engine and the clock. ``save`` projects a workflow into its instance row, its open user
tasks and the history, inside the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from forms.items import DEPARTMENTS
from forms.tasks import task_form_keys
from handlers.registry import HandlerRegistry

from .bpmn.script_engine import JuelScriptEngine
from .bpmn.serializer import StateSerializer
from .clock import Clock
from .definitions import Checks, ParsedDeployment, SpecCache
from .errors import NotFound
from .persistence.models import HistoryEvent, ProcessDefinition, ProcessInstance, UserTask
from .persistence.unit_of_work import UnitOfWork
from .projection import summarize
from .runtime import StepRecord, assignee_of, due_at, item_of, ready_review_tasks, run_until_wait


@dataclass
class EngineContext:
    sessions: object
    registry: HandlerRegistry
    clock: Clock = field(default_factory=Clock)
    specs: SpecCache = field(default_factory=SpecCache)
    serializer: StateSerializer = field(default_factory=StateSerializer)
    script_engine: JuelScriptEngine = field(default_factory=JuelScriptEngine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def checks(self) -> Checks:
        return Checks(
            topics=self.registry.topics(),
            form_keys=frozenset(task_form_keys()),
            groups=frozenset(DEPARTMENTS),
        )

    def parsed(self, uow: UnitOfWork, definition: ProcessDefinition) -> ParsedDeployment:
        def load_files():
            return [(f.filename, f.content) for f in uow.definitions.files(definition.deployment_id)]

        return self.specs.get(definition.deployment_id, load_files)

    def new_workflow(self, uow: UnitOfWork, definition: ProcessDefinition) -> BpmnWorkflow:
        spec, subprocess_specs = self.parsed(uow, definition).specs[definition.key]
        return BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)

    def load(self, uow: UnitOfWork, instance: ProcessInstance) -> BpmnWorkflow:
        definition = uow.definitions.get(instance.definition_id)
        spec, subprocess_specs = self.parsed(uow, definition).specs[definition.key]
        return self.serializer.loads(instance.workflow_state, spec, subprocess_specs, self.script_engine)

    def step(self, uow: UnitOfWork, instance: ProcessInstance, workflow: BpmnWorkflow) -> list[StepRecord]:
        return run_until_wait(
            workflow,
            self.registry,
            instance_id=instance.id,
            business_key=instance.business_key,
            now=self.clock.now(),
            ledger=uow.ledger,
        )

    def record(self, uow: UnitOfWork, instance_id: str, actor: str, kind: str, *, at: datetime,
               activity_id=None, activity_name=None, department=None, item=None, reason=None,
               detail=None) -> None:
        uow.history.add(
            HistoryEvent(
                instance_id=instance_id, at=at, actor=actor, kind=kind, activity_id=activity_id,
                activity_name=activity_name, department=department, item=item, reason=reason,
                detail=detail or {},
            )
        )

    def save(self, uow: UnitOfWork, instance: ProcessInstance, workflow: BpmnWorkflow,
             records: list[StepRecord], actor: str) -> None:
        """Store the workflow's state and project it: instance summary, user-task rows, history."""
        now = self.clock.now()
        for rec in records:
            self.record(uow, instance.id, "system", rec.kind, at=now, activity_id=rec.activity_id,
                        activity_name=rec.activity_name, department=rec.department, item=rec.item,
                        detail=rec.detail)
        self._sync_user_tasks(uow, instance, workflow, now)
        summary = summarize(workflow)
        instance.summary = summary
        instance.workflow_state = self.serializer.dumps(workflow)
        instance.serializer_version = self.serializer.version
        instance.updated_at = now
        if summary["outcome"] and instance.state == "active":
            instance.state = summary["outcome"]
            instance.ended_at = now
            returned = summary.get("returned")
            instance.end_reason = returned["reason"] if returned else None
            self.record(uow, instance.id, actor, f"instance_{summary['outcome']}", at=now,
                        activity_id=returned["activity_id"] if returned else None,
                        department=returned["group"] if returned else None,
                        item=returned["item"] if returned else None,
                        reason=instance.end_reason)

    def _sync_user_tasks(self, uow: UnitOfWork, instance: ProcessInstance, workflow: BpmnWorkflow,
                         now: datetime) -> None:
        ready = {str(task.id): task for task in ready_review_tasks(workflow)}
        for row in uow.tasks.open_for_instance(instance.id):
            if row.id not in ready:  # the branch was cancelled (e.g. a return ended the instance)
                row.completed_at = now
                row.outcome = "cancelled"
                self.record(uow, instance.id, "system", "task_cancelled", at=now,
                            activity_id=row.activity_id, activity_name=row.name,
                            department=row.candidate_group, item=row.item)
            else:
                ready.pop(row.id)
        for task_id, task in ready.items():
            spec = task.task_spec
            row = UserTask(
                id=task_id, instance_id=instance.id, business_key=instance.business_key,
                activity_id=spec.bpmn_id, name=spec.bpmn_name, item=item_of(spec),
                form_key=spec.form.key, candidate_group=spec.candidate_groups[0],
                jurisdiction=instance.jurisdiction, assignee=assignee_of(task), created_at=now,
                due_at=due_at(task, now),
            )
            uow.tasks.add(row)
            self.record(uow, instance.id, "system", "task_created", at=now, activity_id=spec.bpmn_id,
                        activity_name=spec.bpmn_name, department=row.candidate_group, item=row.item,
                        detail={"task_id": task_id})

    def workflow_task(self, workflow: BpmnWorkflow, task_id: str):
        try:
            return workflow.get_task_from_id(UUID(task_id))
        except Exception:
            raise NotFound("task not found in the process") from None
