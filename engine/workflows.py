"""Loading a workflow and saving it with everything projected from it, inside the caller's unit of work.

``load`` reads a workflow (one this process saved last, when the caller changes it: ``engine.workflow_cache``);
``save`` stores a workflow's state and projects it into what is read without deserializing it: the instance
summary (the engine's part and the service's), the open user tasks, the jobs the worker must run (service
tasks and timers), the messages it waits for, the years its open dates were counted through, and the history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException

from . import log_context, metrics
from .bpmn.script_engine import JuelScriptEngine
from .bpmn.timers import timer_started
from .business_rules import StateSerializer
from .calendar import WorkdayCalendar
from .calendar_source import Calendars
from .clock import Clock, iso
from .definitions import ParsedDeployment
from .errors import NotFound
from .notify import instance_channel, job_channel, tasks_channel
from .persistence.models import (
    UNKNOWN_VERSION,
    HistoryEvent,
    Job,
    MessageSubscription,
    ProcessInstance,
    UserTask,
)
from .persistence.unit_of_work import UnitOfWork
from .projected_rows import NOTHING, ProjectedRows, note, noted, of_state
from .projection import summarize
from .runtime import (
    StepRecord,
    assignee_of,
    counted_deadlines,
    due_at,
    item_of,
    ready_external_tasks,
    ready_review_tasks,
    waiting_messages,
    waiting_timers,
)
from .search import SearchDigests
from .service import Service
from .workflow_cache import WorkflowCache

# what a history event records without changing the instance (nobody waiting for its progress is woken)
READING_KINDS = frozenset({"personal_data_read", "material_read", "found_by_search"})
# what changes a department's queue: its waiting clerks' pages show it (:func:`engine.notify.tasks_channel`)
QUEUE_KINDS = frozenset(
    {"task_created", "task_claimed", "task_unclaimed", "task_assigned", "task_completed", "task_cancelled"}
    | {"follow_up_set"}
)


class Dependencies(Protocol):
    """What the repository uses of the engine's context (:class:`engine.context.EngineContext`)."""

    clock: Clock
    calendar: Calendars
    serializer: StateSerializer
    script_engine: JuelScriptEngine
    max_attempts: int
    search: SearchDigests

    def definition(self, uow: UnitOfWork, definition_id: int) -> Any: ...

    def parsed(self, uow: UnitOfWork, definition: Any) -> ParsedDeployment: ...

    def service_of(self, uow: UnitOfWork, instance: ProcessInstance) -> Service: ...


class WorkflowRepository:
    """Workflows of instances: new, loaded, saved (with their projection into tables), and the history."""

    def __init__(self, ctx: Dependencies, cache: WorkflowCache | None = None) -> None:
        self.ctx = ctx
        self.cache = cache if cache is not None else WorkflowCache()

    def new_workflow(self, uow: UnitOfWork, instance: ProcessInstance) -> BpmnWorkflow:
        """A new workflow of the instance's process version, with the decisions of its deployment."""
        self.ctx.calendar.watch()  # an operation starts: note every calendar its dates are counted on
        definition = self.ctx.definition(uow, instance.definition_id)
        spec, subprocess_specs = self.ctx.parsed(uow, instance).specs[definition.key]
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.ctx.script_engine)
        note(workflow, NOTHING)  # a new instance has no rows yet
        return workflow

    def load(self, uow: UnitOfWork, instance: ProcessInstance, *, to_change: bool = False) -> BpmnWorkflow:
        """The instance's workflow as stored. ``to_change``: the caller saves it (or drops it), so it may be
        the one this process saved last at the instance's revision (``engine.workflow_cache``) rather than
        a new one from the stored state; a view never gets that one (it may not hand it back)."""
        self.ctx.calendar.watch()  # an operation starts: note every calendar its dates are counted on
        log_context.set_fields(business_key=instance.business_key)  # what the work's log lines are about
        if to_change:
            cached = self.cache.take(instance.id, instance.revision)
            if cached is not None:
                return cached
        definition = self.ctx.definition(uow, instance.definition_id)
        spec, subprocess_specs = self.ctx.parsed(uow, instance).specs[definition.key]
        workflow = self.ctx.serializer.loads(instance.workflow_state, spec, subprocess_specs, self.ctx.script_engine)
        if to_change:  # which kinds of rows the stored state has: its save reads only those (engine.projected_rows)
            note(workflow, of_state(workflow))
        return workflow

    def task_data(self, uow: UnitOfWork, instance: ProcessInstance, task_id: str) -> dict:
        """One task's data as stored (for a view), read without restoring the workflow when the state is in
        our format; NotFound if the id is none of its tasks'."""
        try:
            wanted = UUID(task_id)
        except ValueError:
            raise NotFound("task not found in the process") from None
        says, data = self.ctx.serializer.task_data(instance.workflow_state, wanted)
        if not says:
            return self.workflow_task(self.load(uow, instance), task_id).data
        if data is None:
            raise NotFound("task not found in the process")
        log_context.set_fields(business_key=instance.business_key)
        return data

    def workflow_task(self, workflow: BpmnWorkflow, task_id: str):
        """The workflow's task of this id; NotFound if the id is none of its tasks' (or no id at all)."""
        try:
            return workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TaskNotFoundException):
            raise NotFound("task not found in the process") from None

    def record(
        self,
        uow: UnitOfWork,
        instance_id: str,
        actor: str,
        kind: str,
        *,
        at: datetime,
        activity_id=None,
        activity_name=None,
        department=None,
        item=None,
        reason=None,
        detail=None,
    ) -> None:
        """A history event of the instance; whoever waits for the instance's progress (and, for a step's
        task, for its department's queue) is woken once the transaction commits."""
        if kind not in READING_KINDS:
            uow.signal(instance_channel(instance_id))
        if kind in QUEUE_KINDS and department:
            uow.signal(tasks_channel(department))
        uow.history.add(
            HistoryEvent(
                instance_id=instance_id,
                at=at,
                actor=actor,
                kind=kind,
                activity_id=activity_id,
                activity_name=activity_name,
                department=department,
                item=item,
                reason=reason,
                detail=detail or {},
            )
        )

    def save(
        self,
        uow: UnitOfWork,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        records: list[StepRecord],
        actor: str,
        *,
        recounted: WorkdayCalendar | None = None,
        summary_from: dict | None = None,
        jobs: list[Job] | None = None,
        subscriptions: list[MessageSubscription] | None = None,
    ) -> dict[str, Job]:
        """Store the workflow's state and project it (summary, user tasks, jobs, messages, history); the
        instance's open jobs by task id. ``recounted``: every open date was just counted again on that
        calendar, which the save counts with too. ``summary_from``: the summary to bring up to date instead of
        the stored one (a recount's, its promised dates counted again), so that the caller need not change the
        instance's row before the save: that row is then written at commit, after the task rows, in the order
        a clerk's completion writes them (two writers taking one application's rows in opposite orders wait
        for each other until PostgreSQL ends one as a deadlock).
        ``jobs``: every job of the instance, when the caller read them in this unit of work already (the
        worker, to see which it still holds); ``subscriptions``: every message subscription of the instance,
        likewise (a correlation, to find the one it delivers)."""
        now = self.ctx.clock.now()
        log_context.set_fields(business_key=instance.business_key)
        uow.signal(instance_channel(instance.id))  # a page waiting for the application's progress looks again
        calendar = recounted or self.ctx.calendar.current()
        # every read first (one flush of the caller's changes), only of the kinds of rows the state can have
        stored = noted(workflow)
        task_rows = uow.tasks.open_for_instance(instance.id) if stored.user_tasks else []
        if jobs is None:
            jobs = uow.jobs.for_instance(instance.id) if stored.jobs else []
        if subscriptions is None:
            subscriptions = uow.subscriptions.for_instance(instance.id) if stored.subscriptions else []
        counted_rows = stored.counted if stored.counted is not None else uow.counted.for_instance(instance.id)
        for rec in records:
            self.record(
                uow,
                instance.id,
                "system",
                rec.kind,
                at=now,
                activity_id=rec.activity_id,
                activity_name=rec.activity_name,
                department=rec.department,
                item=rec.item,
                reason=rec.reason,
                detail=rec.detail,
            )
        refusals = {rec.detail["caught_by_task"]: rec for rec in records if rec.kind == "business_error"}
        open_tasks = self._sync_user_tasks(uow, instance, workflow, task_rows, now, calendar, refusals)
        open_jobs = self._sync_jobs(uow, instance, workflow, jobs, now)
        subscribed = self._sync_subscriptions(uow, instance, workflow, subscriptions, now)
        summary = summarize(
            workflow,
            self.ctx.service_of(uow, instance),
            summary_from if summary_from is not None else instance.summary or {},
            instance.created_at,
            now,
            calendar,
        )
        later_keys = self.ctx.service_of(uow, instance).search.keys_after_step(summary)
        if later_keys:
            uow.search_keys.add_missing(instance.id, self.ctx.search.of(later_keys))
        counted = self._mark_counted(
            uow,
            instance,
            summary,
            workflow,
            open_tasks,
            calendar,
            counted_rows,
            one_calendar=recounted is not None or self.ctx.calendar.watched() <= 1,
            recounted=recounted is not None,
        )
        # what the tables hold for the saved state, for this workflow's next save (engine.workflow_cache)
        note(workflow, ProjectedRows(bool(open_tasks), bool(open_jobs), subscribed, counted))
        # the instance's row changes last, after every query of the save: one UPDATE (one revision) at commit
        instance.summary = summary
        instance.workflow_state = self.ctx.serializer.dumps(workflow)
        instance.serializer_version = self.ctx.serializer.version
        # once committed, the workflow is the instance's at its new revision: the caller hands it over
        uow.after_commit(lambda: self.cache.put(instance.id, instance.revision, workflow))
        instance.updated_at = now
        if summary["outcome"] and instance.state == "active":
            instance.state = summary["outcome"]
            instance.ended_at = now
            returned = summary.get("returned")
            instance.end_reason = returned["reason"] if returned else None
            if summary.get("refusals"):
                instance.end_reason = "；".join(r.get("message") or r.get("code") or "" for r in summary["refusals"])
            ended = metrics.applications_ended.labels(
                self.ctx.service_of(uow, instance).name, instance.region, summary["outcome"]
            )
            uow.after_commit(ended.inc)
            self.record(
                uow,
                instance.id,
                actor,
                f"instance_{summary['outcome']}",
                at=now,
                activity_id=returned["activity_id"] if returned else None,
                department=returned["group"] if returned else None,
                item=returned["item"] if returned else None,
                reason=instance.end_reason,
            )
        return open_jobs

    def close_open_work(self, uow: UnitOfWork, instance: ProcessInstance, now: datetime) -> None:
        """Close every open user task, job and message wait of an instance that ended from outside."""
        uow.signal(instance_channel(instance.id))
        for row in uow.tasks.open_for_instance(instance.id):
            row.completed_at = now
            row.outcome = "cancelled"
            uow.signal(tasks_channel(row.candidate_group))
        for job in uow.jobs.for_instance(instance.id):
            uow.jobs.delete(job)
        for subscription in uow.subscriptions.for_instance(instance.id):
            uow.subscriptions.delete(subscription)

    def _mark_counted(
        self,
        uow: UnitOfWork,
        instance: ProcessInstance,
        summary: dict,
        workflow: BpmnWorkflow,
        open_tasks: list[UserTask],
        calendar: WorkdayCalendar,
        rows: dict[int, str],
        *,
        one_calendar: bool,
        recounted: bool,
    ) -> dict[int, str]:
        """Note every year the instance's open dates were counted through and on which version of its days
        (R5.1), so that any later load of one of those years finds it (``uow.counted``).

        A year noted before on another version stays marked ``unknown`` until everything is counted again: a
        save on a newer calendar must not hide dates that an older count left. So does every year when the
        dates are of more than one calendar (one changed while the operation ran). ``rows``: the instance's
        rows as they are (year → version); nothing is written when they stay so. The rows as they are now."""
        service = self.ctx.service_of(uow, instance)
        spans, as_counted = self._open_spans(service, instance, summary, workflow, open_tasks, calendar)
        years = {year for start, end in spans for year in calendar.counted_years(start, end)}
        before = {} if recounted else rows
        counted = {}
        for year in years:
            version = calendar.version(year)
            fresh = one_calendar and as_counted and before.get(year, version) == version
            counted[year] = version if fresh and version is not None else UNKNOWN_VERSION
        if counted != rows:
            uow.counted.replace(instance.id, counted)
        return counted

    @staticmethod
    def _open_spans(
        service: Service,
        instance: ProcessInstance,
        summary: dict,
        workflow: BpmnWorkflow,
        open_tasks: list[UserTask],
        calendar: WorkdayCalendar,
    ) -> tuple[list[tuple], bool]:
        """(start, end) of every open date of an active instance -- the service's in its summary (e.g. a
        promised date), open steps, waiting timers, handlers' deadlines -- and whether those deadlines are as
        ``calendar`` counts them (one may come back from a department's record of a step run again, counted on
        older days)."""
        if instance.state != "active" or summary.get("outcome"):
            return [], True
        spans: list[tuple] = list(service.projection.counted_spans(summary, instance.created_at))
        spans += [(row.created_at, row.due_at) for row in open_tasks]
        spans += [(timer_started(task) or moment, moment) for task, moment in waiting_timers(workflow)]
        as_counted = True
        seen = set()  # SpiffWorkflow copies data from task to task: each deadline is counted once
        for entry in counted_deadlines(workflow):
            if not entry.get("due"):
                continue
            same = (
                str(entry["counted_from"]),
                str(entry["working_days"]),
                str(entry["due"]),
                bool(entry.get("provisional")),
            )
            if same in seen:
                continue
            seen.add(same)
            start, due = date.fromisoformat(entry["counted_from"][:10]), date.fromisoformat(entry["due"][:10])
            spans.append((start, due))
            now_due = calendar.add_working_days(start, int(entry["working_days"]))
            if now_due != due or bool(entry.get("provisional")) != bool(calendar.provisional_years(start, due)):
                as_counted = False
        return spans, as_counted

    def _sync_user_tasks(
        self,
        uow: UnitOfWork,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        open_rows: list[UserTask],
        now: datetime,
        calendar: WorkdayCalendar,
        refusals: dict[str, StepRecord] | None = None,
    ) -> list[UserTask]:
        """Rows for the ready user tasks, closed rows for the others (``open_rows``: the open ones as they
        are); the open rows. A new task the flow
        reached from a department's refusal caught in this step (``refusals``: by the catching event's task)
        keeps it, for the clerk who gets the work back."""
        ready = {str(task.id): task for task in ready_review_tasks(workflow)}
        still_open = []
        for row in open_rows:
            if row.id not in ready:  # the branch was cancelled (e.g. a return ended the instance)
                row.completed_at = now
                row.outcome = "cancelled"
                self.record(
                    uow,
                    instance.id,
                    "system",
                    "task_cancelled",
                    at=now,
                    activity_id=row.activity_id,
                    activity_name=row.name,
                    department=row.candidate_group,
                    item=row.item,
                )
            else:
                ready.pop(row.id)
                still_open.append(row)
        for task_id, task in ready.items():
            spec = task.task_spec
            due = due_at(task, now, calendar)
            row = UserTask(
                id=task_id,
                instance_id=instance.id,
                business_key=instance.business_key,
                activity_id=spec.bpmn_id,
                name=spec.bpmn_name,
                item=item_of(spec),
                form_key=spec.form.key,
                candidate_group=spec.candidate_groups[0],
                jurisdiction=instance.jurisdiction,
                assignee=assignee_of(task),
                created_at=now,
                due_at=due,
                due_provisional=bool(calendar.provisional_years(now, due)),
                refusal=_refusal_leading_to(task, refusals or {}, now),
            )
            uow.tasks.add(row)
            still_open.append(row)
            self.record(
                uow,
                instance.id,
                "system",
                "task_created",
                at=now,
                activity_id=spec.bpmn_id,
                activity_name=spec.bpmn_name,
                department=row.candidate_group,
                item=row.item,
                detail={"task_id": task_id},
            )
        return still_open

    def _sync_jobs(
        self, uow: UnitOfWork, instance: ProcessInstance, workflow: BpmnWorkflow, rows: list[Job], now: datetime
    ) -> dict[str, Job]:
        """Jobs for the ready service tasks and waiting timers, and none for the others (``rows``: the
        instance's jobs as they are); the open ones by task id."""
        wanted: dict[str, dict] = {}
        kept: dict[str, Job] = {}
        for task in ready_external_tasks(workflow):
            wanted[str(task.id)] = dict(
                kind="service_task",
                topic=task.task_spec.topic,
                due_at=now,
                properties=dict(getattr(task.task_spec, "extensions", {})),
                task=task,
            )
        for task, moment in waiting_timers(workflow):
            wanted[str(task.id)] = dict(kind="timer", topic=None, due_at=moment, properties={}, task=task)
        for job in rows:
            spec = wanted.pop(job.task_id, None)
            if spec is None:
                uow.jobs.delete(job)  # its task was done or cancelled
            else:
                kept[job.task_id] = job
                if job.kind == "timer" and job.due_at != spec["due_at"]:  # a cycle timer fired: next round
                    job.due_at, job.updated_at = spec["due_at"], now
                    uow.jobs.release(job)
        for task_id, spec in wanted.items():
            task = spec.pop("task")
            if spec["topic"]:
                uow.signal(job_channel(spec["topic"]))  # an external worker waiting for its topic takes it
            kept[task_id] = Job(
                id=str(uuid4()),
                instance_id=instance.id,
                business_key=instance.business_key,
                task_id=task_id,
                activity_id=task.task_spec.bpmn_id,
                activity_name=task.task_spec.bpmn_name,
                attempts=0,
                max_attempts=self.ctx.max_attempts,
                state="ready",
                created_at=now,
                updated_at=now,
                request_id=log_context.current_request_id(),  # the worker's lines for it carry the request's id
                **spec,
            )
            uow.jobs.add(kept[task_id])
        return kept

    def _sync_subscriptions(
        self,
        uow: UnitOfWork,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        rows: list[MessageSubscription],
        now: datetime,
    ) -> bool:
        """A subscription for every waiting message and none for the others (``rows``: the instance's
        subscriptions as they are); whether there is any."""
        wanted = {str(task.id): (task, name) for task, name in waiting_messages(workflow)}
        subscribed = bool(wanted)
        for subscription in rows:
            if wanted.pop(subscription.task_id, None) is None:
                uow.subscriptions.delete(subscription)
        for task_id, (task, name) in wanted.items():
            uow.subscriptions.add(
                MessageSubscription(
                    task_id=task_id,
                    instance_id=instance.id,
                    business_key=instance.business_key,
                    message_name=name,
                    activity_id=task.task_spec.bpmn_id,
                    created_at=now,
                )
            )
        return subscribed


def _refusal_leading_to(task, refusals: dict[str, StepRecord], now: datetime) -> dict | None:
    """The refusal whose catching event ``task`` descends from (the flow went from the event to the task), if
    any: up the task tree, and from a subprocess to the task running it."""
    if not refusals:
        return None
    current = task.parent
    while current is not None:
        found = refusals.get(str(current.id))
        if found is not None:
            return {
                "code": found.detail.get("code"),
                "message": found.reason,
                "activity_id": found.activity_id,
                "activity_name": found.activity_name,
                "department": found.department,
                "at": iso(now),
            }
        workflow = current.workflow
        if current.parent is None and workflow is not workflow.top_workflow:
            current = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        else:
            current = current.parent
    return None
