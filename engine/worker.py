"""The background worker: runs service tasks and fires timers, with retries, backoff and incidents.

A job is taken with a conditional update (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and a lock expiry,
so several workers can run side by side and a dead worker's job is taken again once its lock expires.
A service task's handler runs outside any instance transaction, with the department ledger in its own
transaction and a stable idempotency key per task: if the worker dies after the handler ran, the retry
gets the first result back instead of a second side effect. The result is then applied to the instance
in one transaction guarded by its revision. A handler that keeps failing becomes an incident: the
application waits until an admin retries it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from SpiffWorkflow.task import TaskState

from handlers.base import ServiceCall

from .context import EngineContext
from .persistence.unit_of_work import ConcurrentUpdate
from .runtime import advance, apply_result

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class TakenJob:
    id: str
    instance_id: str
    business_key: str
    task_id: str
    kind: str
    topic: str | None
    activity_id: str
    payload: dict
    properties: dict
    attempts: int


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


class Worker:
    def __init__(self, ctx: EngineContext, name: str | None = None, lock_seconds: int = 300,
                 batch: int = 20) -> None:
        self.ctx = ctx
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"
        self.lock = timedelta(seconds=lock_seconds)
        self.batch = batch

    # -- the loop -------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Take the due jobs (up to ``batch``) and run them; the number run."""
        jobs = self._take()
        for job in jobs:
            self._run(job)
        return len(jobs)

    def run_until_idle(self, max_rounds: int = 1000) -> int:
        done = 0
        for _ in range(max_rounds):
            count = self.run_once()
            if count == 0:
                return done
            done += count
        return done

    def run_forever(self, stop: threading.Event, idle_wait: float = 1.0) -> None:
        log.info("worker %s started", self.name)
        total = 0
        while not stop.is_set():
            try:
                count = self.run_once()
            except Exception:  # the database may be restarting: keep going
                log.exception("worker %s: round failed", self.name)
                count = 0
            total += count
            if count:
                log.info("worker %s: ran %d job(s), %d in all", self.name, count, total)
            else:
                stop.wait(idle_wait)
        log.info("worker %s stopped after %d job(s)", self.name, total)

    # -- taking jobs ----------------------------------------------------------------------------

    def _take(self) -> list[TakenJob]:
        now = self.ctx.clock.now()
        taken = []
        with self.ctx.uow() as uow:
            for job_id in uow.jobs.candidates(now, self.batch, skip_locked=uow.is_postgresql):
                if uow.jobs.lock(job_id, self.name, now, now + self.lock):
                    job = uow.jobs.get(job_id)
                    taken.append(TakenJob(job.id, job.instance_id, job.business_key, job.task_id, job.kind, job.topic,
                                          job.activity_id, job.payload, job.properties,
                                          job.attempts))
            uow.commit()
        return taken

    def _run(self, job: TakenJob) -> None:
        try:
            if job.kind == "service_task":
                self._run_service_task(job)
            else:
                self._fire_timer(job)
        except ConcurrentUpdate:
            self._release(job)  # the instance changed under us: run again at once, not an attempt
        except Exception as err:
            log.warning("job %s (%s) failed: %s", job.id, job.topic or job.kind, err.__class__.__name__)
            self._failed(job, err)

    # -- service tasks --------------------------------------------------------------------------

    def _run_service_task(self, job: TakenJob) -> None:
        handler = self.ctx.registry.get(job.topic)
        with self.ctx.uow() as ledger_uow:
            outcome = handler(ServiceCall(
                topic=job.topic, idempotency_key=f"{job.instance_id}:{job.task_id}",
                business_key=job.business_key, variables=job.payload,
                now=self.ctx.clock.now(), ledger=ledger_uow.ledger, properties=job.properties,
            ))
            ledger_uow.commit()
        with self.ctx.uow() as uow:
            if uow.jobs.held(job.id, self.name, lock=uow.is_postgresql) is None:
                return  # our lock expired and another worker took the job
            instance = uow.instances.get(job.instance_id)
            workflow = self.ctx.load(uow, instance)
            task = self.ctx.workflow_task(workflow, job.task_id)
            records = []
            if task.state == TaskState.READY:
                records.append(apply_result(task, outcome))
                advance(workflow)
            self.ctx.save(uow, instance, workflow, records, "system")
            uow.commit()

    # -- timers ---------------------------------------------------------------------------------

    def _fire_timer(self, job: TakenJob) -> None:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            if uow.jobs.held(job.id, self.name, lock=uow.is_postgresql) is None:
                return
            instance = uow.instances.get(job.instance_id)
            workflow = self.ctx.load(uow, instance)
            task = self.ctx.workflow_task(workflow, job.task_id)
            workflow.refresh_timers()
            advance(workflow)
            if task.state != TaskState.WAITING:
                self.ctx.record(uow, instance.id, "system", "timer_fired", at=now,
                                activity_id=job.activity_id, activity_name=task.task_spec.bpmn_name)
            self.ctx.save(uow, instance, workflow, [], "system")
            uow.commit()

    # -- failures -------------------------------------------------------------------------------

    def _release(self, job: TakenJob) -> None:
        with self.ctx.uow() as uow:
            row = uow.jobs.held(job.id, self.name, lock=False)
            if row is not None:
                row.locked_by = None
                row.locked_until = None
                uow.commit()

    def _failed(self, job: TakenJob, err: Exception) -> None:
        now = self.ctx.clock.now()
        message = f"{err.__class__.__name__}: {err}"[:2000]
        with self.ctx.uow() as uow:
            row = uow.jobs.held(job.id, self.name, lock=False)
            if row is None:
                return
            row.attempts += 1
            row.last_error = message
            row.locked_by = None
            row.locked_until = None
            row.updated_at = now
            if row.attempts >= row.max_attempts:
                row.state = "incident"
                self.ctx.record(uow, row.instance_id, "system", "incident_created", at=now,
                                activity_id=row.activity_id, activity_name=row.activity_name,
                                department=(row.topic or "").split(".")[0] or None,
                                reason=message, detail={"job_id": row.id, "attempts": row.attempts})
            else:
                row.due_at = now + backoff(row.attempts)
            uow.commit()


def start_background_worker(ctx: EngineContext, stop: threading.Event) -> threading.Thread:
    """The worker ``onething serve`` runs beside the API."""
    thread = threading.Thread(target=Worker(ctx).run_forever, args=(stop,), name="onething-worker",
                              daemon=True)
    thread.start()
    return thread
