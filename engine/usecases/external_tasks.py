"""External tasks (Camunda 7): the service tasks of topics handed to external workers
(:mod:`engine.external_topics`), pulled by a department's own system -- fetched and locked, then completed,
failed or refused with a BPMN error -- through the same pieces the in-process worker uses for a handler:

* ``complete``: the variables are the step's result, applied as a handler's result is
  (:func:`engine.runtime.apply_result`: ``results[<item>]`` for a step with an ``item`` property, else
  ``steps[<topic>]``; a variable ``notices`` -- a list of ``{audience, text, due, place}`` -- the step's notices),
  and the flow steps on and is saved as after an in-process step;
* ``bpmnError``: the business error thrown on the service task (:func:`engine.runtime.refuse`), caught by the
  diagram's error boundary event, or an incident at once naming the code;
* ``failure``: a failed attempt (:func:`engine.jobs.count_failure`): retried after ``retryTimeout`` while the
  worker's ``retries`` last, then an incident an admin retries.

A worker fetches only topics of its own department (a topic's part before the dot is one of its groups) and
only applications in its jurisdictions, and holds what it locked until ``lockDuration`` ends; another worker
gets it after that. Each fetched task carries its step's idempotency key (:func:`engine.runtime.step_key`,
what the step *is*), so the department's system can refuse to register one step twice. A long poll
(``asyncResponseTimeout``) waits on the notifier (:mod:`engine.notify`) for new work, never in a loop of
queries; one whose client has gone locks nothing, and gives back what it locked if the client went meanwhile.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from SpiffWorkflow.task import TaskState

from ..context import EngineContext
from ..errors import Forbidden, InvalidInput, NotFound
from ..external_topics import ExternalTopics
from ..handlers import BusinessError, HandlerResult, Notice
from ..jobs import Failure, count_failure, make_incident
from ..notify import job_channel
from ..persistence.models import Job, ProcessInstance
from ..persistence.unit_of_work import ConcurrentUpdate, UnitOfWork
from ..runtime import StepRecord, advance, apply_result, item_of, refuse, step_key
from ..users import Principal

MAX_WAIT_MS = 1_800_000  # Camunda's longest asyncResponseTimeout (30 minutes)
MAX_TASKS = 100
MAX_LOCK_MS = 2**31 - 1  # about 24 days
ALIVE_CHECK_SECONDS = 1.0  # how often a waiting long poll looks whether its client is still there
SAVE_ATTEMPTS = 5  # a step saved while the application changed is applied again on the new state
NOTICES = "notices"  # the variable of a completion that holds the step's notices
IDEMPOTENCY_KEY = "idempotencyKey"  # the extension property that carries the step's idempotency key
NO_MESSAGE = "部门系统办理失败（未说明原因）"
WORKER_ROLE = "worker"


@dataclass(frozen=True)
class TopicRequest:
    """One topic of a fetch, with Camunda's filters."""

    name: str
    lock_ms: int
    variables: tuple[str, ...] | None = None  # None: every variable
    business_key: str | None = None
    definition_keys: tuple[str, ...] | None = None
    definition_ids: tuple[int, ...] | None = None
    process_variables: dict | None = None  # equal values only
    local_only: bool = False  # localVariables: the task's own (none here)
    matches_nothing: bool = False  # a tenant or version tag was asked for: none is used here


@dataclass(frozen=True)
class FetchRequest:
    worker_id: str
    max_tasks: int
    topics: tuple[TopicRequest, ...]
    wait_ms: int = 0  # asyncResponseTimeout: 0 answers at once


def retries_of(job: Job) -> int | None:
    """Camunda's ``retries``: none until a run failed, then how many attempts remain (0: an incident)."""
    if job.state == "incident":
        return 0
    if job.attempts == 0:
        return None
    return max(job.max_attempts - job.attempts, 0)


def _department(topic: str | None) -> str:
    return (topic or "").split(".", 1)[0]


def may_work_on(principal: Principal, topic: str | None) -> bool:
    """A worker works the topics of its own departments (``<group>.<action>``)."""
    return principal.has_role(WORKER_ROLE) and _department(topic) in principal.groups


def _check_topics(ctx: EngineContext, principal: Principal, topics: Iterable[str]) -> None:
    for topic in topics:
        if not may_work_on(principal, topic):
            raise Forbidden(
                f"{principal.name} may not fetch topic {topic!r}: a worker fetches its own "
                f"department's topics ({', '.join(f'{g}.*' for g in sorted(principal.groups)) or 'none'})"
            )
        if not ctx.external.matches(topic):
            raise InvalidInput(
                f"topic {topic!r} is run in process here, not by external workers "
                f"(ONETHING_EXTERNAL_TOPICS: {', '.join(ctx.external.describe()) or 'none'})",
                {},
            )


# -- fetch and lock -------------------------------------------------------------------------------


def fetch_and_lock(
    ctx: EngineContext, principal: Principal, request: FetchRequest, alive: Callable[[], bool] = lambda: True
) -> list[dict]:
    """Lock up to ``max_tasks`` free tasks of the topics for the worker and return them with their variables;
    when there are none, wait up to ``wait_ms`` for some (woken by the notifier, looking again only when
    something changed or a known job falls due or its lock expires), then ``[]``. Nothing is locked for a
    client that has gone (``alive()`` false), and what was locked while it went is given back."""
    _check_topics(ctx, principal, [topic.name for topic in request.topics])
    deadline = time.monotonic() + request.wait_ms / 1000
    topics = [topic for topic in request.topics if not topic.matches_nothing]
    if request.max_tasks <= 0 or not topics:
        return []
    with ctx.notifier.listening(job_channel(topic.name) for topic in topics) as subscription:
        while True:
            if not alive():
                return []
            found = _fetch_once(ctx, principal, request.worker_id, request.max_tasks, topics)
            if found:
                if alive():
                    return found
                give_back(ctx, request.worker_id, [task["id"] for task in found])
                return []
            if not _wait(ctx, principal, subscription, topics, deadline, alive):
                return []


def _wait(
    ctx: EngineContext,
    principal: Principal,
    subscription,
    topics: list[TopicRequest],
    deadline: float,
    alive: Callable[[], bool],
) -> bool:
    """Wait until something may have become free for the worker: True to look again, False when the time ran
    out or the client went."""
    with ctx.reader() as uow:
        now = ctx.clock.now()
        moment = uow.jobs.next_free([topic.name for topic in topics], principal.jurisdictions, now)
    free_at = deadline if moment is None else time.monotonic() + (moment - now).total_seconds() + 0.01
    while True:
        current = time.monotonic()
        if current >= deadline or not alive():
            return False
        if current >= free_at:
            return True
        if subscription.wait(min(deadline, free_at, current + ALIVE_CHECK_SECONDS) - current):
            return True


def _fetch_once(
    ctx: EngineContext, principal: Principal, worker_id: str, max_tasks: int, topics: list[TopicRequest]
) -> list[dict]:
    now = ctx.clock.now()
    with ctx.reader() as uow:  # a look without the writer's lock (SQLite) first: most looks find nothing
        wanted = _choose(ctx, uow, principal, now, max_tasks, topics, skip_locked=False)
    if not wanted:
        return []
    taken: list[tuple[str, TopicRequest]] = []
    with ctx.uow() as uow:
        for topic, ids in _choose(ctx, uow, principal, now, max_tasks, topics, skip_locked=uow.is_postgresql):
            for job_id in ids:
                if len(taken) < max_tasks and uow.jobs.lock(
                    job_id, worker_id, now, now + timedelta(milliseconds=topic.lock_ms)
                ):
                    taken.append((job_id, topic))
        if not taken:
            return []
        uow.commit()
    found, lost = [], []
    with ctx.reader() as uow:
        workflows: dict[str, Any] = {}
        for job_id, topic in taken:
            task = _locked_task(ctx, uow, job_id, worker_id, topic, workflows)
            if task is None:
                lost.append(job_id)
            else:
                found.append(task)
    if lost:
        give_back(ctx, worker_id, lost)
    return found


def _choose(
    ctx: EngineContext,
    uow: UnitOfWork,
    principal: Principal,
    now: datetime,
    max_tasks: int,
    topics: list[TopicRequest],
    skip_locked: bool,
) -> list[tuple[TopicRequest, list[str]]]:
    """The free jobs of each topic the worker may take now, up to ``max_tasks`` in all."""
    picked, count = [], 0
    for topic in topics:
        if count >= max_tasks:
            break
        room = max_tasks - count
        ids = uow.jobs.free_for_topic(
            topic.name,
            principal.jurisdictions,
            now,
            room if not topic.process_variables else MAX_TASKS,
            skip_locked,
            business_key=topic.business_key,
            definition_keys=topic.definition_keys,
            definition_ids=topic.definition_ids,
        )
        if topic.process_variables:
            ids = [i for i in ids if _has_values(ctx, uow, i, topic.process_variables)][:room]
        if ids:
            picked.append((topic, ids))
            count += len(ids)
    return picked


def _has_values(ctx: EngineContext, uow: UnitOfWork, job_id: str, wanted: dict) -> bool:
    job = uow.jobs.get(job_id)
    instance = uow.instances.get(job.instance_id) if job is not None else None
    if job is None or instance is None:
        return False
    task = ctx.workflows.workflow_task(ctx.workflows.load(uow, instance), job.task_id)
    return all(name in task.data and task.data[name] == value for name, value in wanted.items())


def _locked_task(
    ctx: EngineContext, uow: UnitOfWork, job_id: str, worker_id: str, topic: TopicRequest, workflows: dict[str, Any]
) -> dict | None:
    """A task just locked, as the worker gets it: the job, its variables and its step's idempotency key; None
    when the step went meanwhile (the application ended, another change)."""
    job = uow.jobs.get(job_id)
    if job is None or job.locked_by != worker_id:
        return None
    instance = uow.instances.get(job.instance_id)
    if instance is None:
        return None
    if job.instance_id not in workflows:
        workflows[job.instance_id] = ctx.workflows.load(uow, instance)
    try:
        task = ctx.workflows.workflow_task(workflows[job.instance_id], job.task_id)
    except NotFound:
        return None
    if task.state != TaskState.READY:
        return None
    data = json.loads(json.dumps(task.data))
    if topic.local_only:
        data = {}
    elif topic.variables is not None:
        data = {name: data[name] for name in topic.variables if name in data}
    return {
        **external_task_dict(ctx, uow, job, instance),
        "variables": data,
        "extension_properties": {**(job.properties or {}), IDEMPOTENCY_KEY: step_key(instance.id, task)},
    }


def give_back(ctx: EngineContext, worker_id: str, job_ids: list[str]) -> None:
    """Release the locks ``worker_id`` still holds on ``job_ids`` (its client went): the next worker gets them."""
    with ctx.uow() as uow:
        for job_id in job_ids:
            job = uow.jobs.held(job_id, worker_id, lock=uow.is_postgresql)
            if job is not None:
                uow.jobs.release(job)
                uow.signal(job_channel(str(job.topic)))
        uow.commit()


# -- the answers of a worker ----------------------------------------------------------------------


def _external_job(
    ctx: EngineContext, uow: UnitOfWork, principal: Principal, job_id: str, *, for_update: bool = False
) -> tuple[Job, ProcessInstance]:
    """The job of an external task the caller may see (another jurisdiction's, or one the in-process worker
    runs, is not found) and work on (a worker of another department is refused)."""
    if not (isinstance(job_id, str) and len(job_id) <= 36):
        job = None
    elif for_update and uow.is_postgresql:  # another answer for the same task waits for this transaction
        job = uow.jobs.locked_row(job_id)
    else:
        job = uow.jobs.get(job_id)
    if job is None or job.kind != "service_task" or not ctx.external.matches(job.topic):
        raise NotFound(f"External task with id {job_id} does not exist")
    instance = uow.instances.get(job.instance_id)
    if instance is None or not principal.covers(instance.jurisdiction):
        raise NotFound(f"External task with id {job_id} does not exist")
    if (
        principal.has_role(WORKER_ROLE)
        and not principal.has_role("admin", "supervisor")
        and not may_work_on(principal, job.topic)
    ):
        raise Forbidden(f"{principal.name} may not work on topic {job.topic!r} (another department's)")
    return job, instance


def _held(
    ctx: EngineContext, uow: UnitOfWork, principal: Principal, job_id: str, worker_id: str, what: str
) -> tuple[Job, ProcessInstance]:
    """The job of an external task ``worker_id`` holds, row-locked; 400 when another worker holds it or none."""
    job, instance = _external_job(ctx, uow, principal, job_id, for_update=True)
    if not may_work_on(principal, job.topic):
        raise Forbidden(f"{principal.name} may not work on topic {job.topic!r} (another department's)")
    if job.locked_by != worker_id or job.state != "ready":
        holder = f"It is locked by worker '{job.locked_by}'." if job.locked_by else "It is not locked."
        raise InvalidInput(f"External Task {job_id} cannot be {what} by worker '{worker_id}'. {holder}", {})
    return job, instance


def _steps_on(
    ctx: EngineContext,
    principal: Principal,
    job_id: str,
    worker_id: str,
    what: str,
    step: Callable[[UnitOfWork, Job, ProcessInstance, Any], StepRecord | None],
) -> None:
    """Load the application, ``step`` its task (a record for the history, or None: nothing to save), step the
    flow on and save, in one transaction -- again on the new state when the application changed meanwhile."""
    for attempt in range(SAVE_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                job, instance = _held(ctx, uow, principal, job_id, worker_id, what)
                if uow.is_postgresql:  # the application's other writers wait for this step
                    instance = uow.instances.locked(instance.id) or instance
                workflow = ctx.workflows.load(uow, instance, to_change=True)
                task = ctx.workflows.workflow_task(workflow, job.task_id)
                if task.state != TaskState.READY:
                    raise NotFound(f"External task with id {job_id} does not exist")
                record = step(uow, job, instance, task)
                if record is not None:
                    record.detail.update(worker=worker_id, by=principal.name)
                    advance(workflow)
                    ctx.workflows.save(uow, instance, workflow, [record], principal.name)
                uow.commit()
                return
        except ConcurrentUpdate:
            if attempt == SAVE_ATTEMPTS - 1:
                raise
        time.sleep(0.01 * (attempt + 1))


def complete(ctx: EngineContext, principal: Principal, job_id: str, worker_id: str, variables: dict) -> None:
    """The worker did the step: its variables are the step's result (``notices`` its notices), applied as an
    in-process handler's; the application goes on."""
    result = dict(variables or {})
    notices = parse_notices(result.pop(NOTICES, None))

    def step(uow, job, instance, task) -> StepRecord:
        return apply_result(task, HandlerResult(item=item_of(task.task_spec), result=result, notices=notices))

    _steps_on(ctx, principal, job_id, worker_id, "completed", step)


def bpmn_error(
    ctx: EngineContext,
    principal: Principal,
    job_id: str,
    worker_id: str,
    code: str,
    message: str | None,
    variables: dict,
) -> None:
    """The department refused the step (Camunda's ``handleBpmnError``): thrown on the service task, where the
    diagram's error boundary event for ``code`` catches it (with ``variables``), or an incident at once."""
    try:
        error = BusinessError(code, message or f"部门系统退回（{code}）")
    except ValueError as err:
        raise InvalidInput(f"errorCode: {err}", {"errorCode": [str(err)]}) from None

    def step(uow, job, instance, task) -> StepRecord | None:
        caught = refuse(task, error, variables)
        if caught is None:
            count_failure(ctx, uow, job, Failure(error.code, error.message, f"bpmnError {error.code}"), ctx.clock.now())
        return caught

    _steps_on(ctx, principal, job_id, worker_id, "failed with a BPMN error", step)


def failure(
    ctx: EngineContext,
    principal: Principal,
    job_id: str,
    worker_id: str,
    message: str | None,
    details: str | None,
    retries: int,
    retry_timeout_ms: int,
) -> None:
    """A failed attempt: again after ``retry_timeout_ms`` while ``retries`` remain, else an incident."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        job, _ = _held(ctx, uow, principal, job_id, worker_id, "failed")
        text = (message or "").strip() or NO_MESSAGE
        count_failure(
            ctx,
            uow,
            job,
            Failure(None, text, details or text),
            now,
            retries_left=retries,
            retry_in=timedelta(milliseconds=retry_timeout_ms),
        )
        if job.state == "ready" and job.due_at <= now:
            uow.signal(job_channel(str(job.topic)))
        uow.commit()


def extend_lock(ctx: EngineContext, principal: Principal, job_id: str, worker_id: str, duration_ms: int) -> None:
    """The worker needs longer: its lock, not yet expired, runs on until ``duration_ms`` from now."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        job, _ = _held(ctx, uow, principal, job_id, worker_id, "extended")
        if job.locked_until is None or job.locked_until < now:
            raise InvalidInput(f"Cannot extend a lock that expired: external task {job_id}", {})
        job.locked_until = now + timedelta(milliseconds=duration_ms)
        uow.commit()


def lock(ctx: EngineContext, principal: Principal, job_id: str, worker_id: str, duration_ms: int) -> None:
    """Lock one task by its id for the worker (free, its lock expired, or already the worker's)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        job, _ = _external_job(ctx, uow, principal, job_id, for_update=True)
        if not may_work_on(principal, job.topic):
            raise Forbidden(f"{principal.name} may not work on topic {job.topic!r} (another department's)")
        if job.state != "ready":
            raise InvalidInput(f"External Task {job_id} has no retries left: an incident", {})
        if job.locked_by not in (None, worker_id) and job.locked_until is not None and job.locked_until >= now:
            raise InvalidInput(f"External Task {job_id} is already locked by worker '{job.locked_by}'", {})
        uow.jobs.hold(
            job,
            worker_id,
            now if job.locked_by != worker_id else (job.locked_at or now),
            now + timedelta(milliseconds=duration_ms),
        )
        uow.commit()


def unlock(ctx: EngineContext, principal: Principal, job_id: str) -> None:
    """Give the task back at once: the next worker that asks gets it."""
    with ctx.uow() as uow:
        job, _ = _external_job(ctx, uow, principal, job_id, for_update=True)
        if job.locked_by is not None:
            uow.jobs.release(job)
            job.updated_at = ctx.clock.now()
            uow.signal(job_channel(str(job.topic)))
        uow.commit()


def set_retries(ctx: EngineContext, principal: Principal, job_id: str, retries: int) -> None:
    """Camunda's way of resolving an incident (and of making one): ``retries`` attempts remain from now; an
    incident given some is taken by the next worker that asks, as an admin's retry does."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        job, _ = _external_job(ctx, uow, principal, job_id, for_update=True)
        job.max_attempts = job.attempts + retries
        job.updated_at = now
        if retries > 0 and job.state == "incident":
            job.state = "ready"
            job.due_at = now
            uow.jobs.release(job)
            uow.signal(job_channel(str(job.topic)))
            ctx.workflows.record(
                uow,
                job.instance_id,
                principal.name,
                "incident_retried",
                at=now,
                activity_id=job.activity_id,
                activity_name=job.activity_name,
                detail={"job_id": job.id, "attempts": job.attempts, "retries": retries},
            )
        elif retries == 0 and job.state == "ready":
            job.error_message = job.error_message or f"重试次数由{principal.name}设为0"
            make_incident(ctx, uow, job, now)
        uow.commit()


# -- reading ----------------------------------------------------------------------------------------


def external_task_dict(ctx: EngineContext, uow: UnitOfWork, job: Job, instance: ProcessInstance | None = None) -> dict:
    """An external task as Camunda describes one (times as datetimes; the facade writes Camunda's shapes)."""
    instance = instance or uow.instances.get(job.instance_id)
    if instance is None:
        raise NotFound(f"External task with id {job.id} does not exist")
    definition = ctx.definition(uow, instance.definition_id)
    return {
        "id": job.id,
        "topic": job.topic,
        "worker_id": job.locked_by,
        "lock_expiration": job.locked_until,
        "locked_at": job.locked_at,
        "created_at": job.created_at,
        "activity_id": job.activity_id,
        "activity_name": job.activity_name,
        "task_id": job.task_id,
        "process_instance_id": job.instance_id,
        "business_key": job.business_key,
        "definition": {"id": definition.id, "key": definition.key, "version": definition.version},
        "retries": retries_of(job),
        "error_message": job.error_message if job.attempts else None,
        "suspended": False,
        "state": job.state,
    }


def _visible_topics(ctx: EngineContext, principal: Principal) -> ExternalTopics:
    """The external topics the caller may read: staff every one, a worker its departments'."""
    if principal.has_role("admin", "supervisor"):
        return ctx.external
    groups = frozenset(principal.groups)
    if ctx.external.everything:
        return ExternalTopics(departments=groups)
    return ExternalTopics(
        topics=frozenset(t for t in ctx.external.topics if _department(t) in groups),
        departments=ctx.external.departments & groups,
    )


def list_external_tasks(
    ctx: EngineContext, principal: Principal, *, first: int = 0, limit: int | None = None, **filters
) -> tuple[list[dict], int]:
    """External tasks the caller may see, filtered (``job_id``, ``topic``, ``worker``, ``locked``,
    ``instance_id``, ``business_key``, ``with_retries_left``), oldest first, and their count."""
    now = ctx.clock.now()
    with ctx.reader() as uow:
        rows, total = uow.jobs.external(
            _visible_topics(ctx, principal), principal.jurisdictions, now=now, offset=first, limit=limit, **filters
        )
        return [external_task_dict(ctx, uow, job) for job in rows], total


def get_external_task(ctx: EngineContext, principal: Principal, job_id: str) -> dict:
    with ctx.reader() as uow:
        job, instance = _external_job(ctx, uow, principal, job_id)
        return external_task_dict(ctx, uow, job, instance)


def error_details(ctx: EngineContext, principal: Principal, job_id: str) -> str | None:
    """What the worker said of its last failure (``errorDetails``), if anything."""
    with ctx.reader() as uow:
        job, _ = _external_job(ctx, uow, principal, job_id)
        return job.last_error if job.attempts else None


def parse_notices(value: Any) -> tuple[Notice, ...]:
    """A completion's ``notices``: a list of ``{audience, text, due?, place?}`` (strings; ``due`` an ISO date),
    as a handler's notices; 400 for anything else."""
    if value is None:
        return ()
    problem = "notices is a list of {audience, text, due, place} (text values; due an ISO date)"
    if not isinstance(value, list) or len(value) > 50:
        raise InvalidInput(problem, {NOTICES: [problem]})
    found = []
    for n, entry in enumerate(value):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("audience"), str)
            or not isinstance(entry.get("text"), str)
            or not entry["audience"]
            or not entry["text"]
        ):
            raise InvalidInput(problem, {f"{NOTICES}.{n}": [problem]})
        fields = {key: entry.get(key) for key in ("due", "place", "counted_from")}
        if any(v is not None and not isinstance(v, str) for v in fields.values()):
            raise InvalidInput(problem, {f"{NOTICES}.{n}": [problem]})
        days = entry.get("working_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
            raise InvalidInput(problem, {f"{NOTICES}.{n}.working_days": ["a whole number"]})
        for key in ("due", "counted_from"):
            moment = fields[key]
            if moment is not None:
                try:
                    datetime.fromisoformat(moment)
                except ValueError:
                    raise InvalidInput(problem, {f"{NOTICES}.{n}.{key}": ["an ISO date, e.g. 2026-12-01"]}) from None
        found.append(
            Notice(
                entry["audience"][:100],
                entry["text"][:2000],
                due=fields["due"],
                place=fields["place"],
                counted_from=fields["counted_from"],
                working_days=days,
                provisional=bool(entry.get("provisional")),
            )
        )
    return tuple(found)


def overview(ctx: EngineContext, principal: Principal) -> dict:
    """What the admins see of external workers: the configured topics (``patterns``), every topic known here
    with who runs it and how many of its steps wait, are held or are incidents, every step a worker holds
    now (which worker, since when, until when), and the incidents of external steps."""
    from .incidents import find_incidents

    now = ctx.clock.now()
    with ctx.reader() as uow:
        counts = uow.jobs.waiting_by_topic(ctx.external, now) if ctx.external else {}
        topics = []
        for topic in sorted(ctx.registry.topics() | set(counts)):
            department = _department(topic)
            topics.append(
                {
                    "topic": topic,
                    "department": department,
                    "department_name": ctx.services.groups.get(department, department),
                    "external": ctx.external.matches(topic),
                    **counts.get(topic, {"waiting": 0, "locked": 0, "incidents": 0}),
                }
            )
        held, _ = uow.jobs.external(ctx.external, principal.jurisdictions, locked=True, now=now)
        locked = [external_task_dict(ctx, uow, job) for job in held]
    incidents, _ = find_incidents(ctx, principal, external=True, limit=100)
    return {"patterns": ctx.external.describe(), "topics": topics, "locked": locked, "incidents": incidents}
