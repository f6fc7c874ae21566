"""The background worker: runs service tasks and fires timers, with retries, backoff and incidents.

A job is taken with a conditional update (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and a short lock (30 s
by default) that a heartbeat thread extends while the worker runs the job, so several workers can run side
by side, a handler that runs longer than the lock is not run twice, and a dead worker's jobs are taken
again as soon as its lock expires. A service task's handler runs outside any instance transaction, with
the department ledger in its own transaction and an idempotency key that says what the step is
(:func:`~engine.runtime.step_key`): if the worker dies anywhere in a chain, the rerun gets the first
results back instead of second records. The results are then applied to the instance
in one transaction guarded by its revision. An instance's service tasks run together: those taken, and
those that become ready after them, in one load and one save (see ``_run_service_tasks``). A handler that keeps
failing becomes an incident: the
application waits until an admin retries it (:func:`retry_incident` runs the job at once and says what came of
it). A handler's business error (a department's refusal) is thrown as a BPMN error on its service task: the
error boundary event that catches it takes the flow on in the same chain; one that nothing catches is an
incident at once (the same input would only be refused again). The jobs of topics handed to external workers
(``ONETHING_EXTERNAL_TOPICS``) are theirs: this worker never takes them (:mod:`engine.usecases.external_tasks`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from uuid import uuid4

from SpiffWorkflow.task import TaskState

from engine.handlers import BusinessError, HandlerError, HandlerResult, ServiceCall

from . import log_context, metrics
from .context import EngineContext
from .jobs import INTERNAL_ERROR, Failure, count_failure
from .notify import Subscription, job_channel
from .persistence.models import Job
from .persistence.unit_of_work import ConcurrentUpdate, UnitOfWork
from .runtime import StepRecord, advance, apply_result, ready_external_tasks, refuse, step_key
from .users import Principal

log = logging.getLogger(__name__)

DEFAULT_LOCK_SECONDS = 30
CALENDAR_CHECK_SECONDS = 5.0  # how often the worker looks for a newly loaded holiday notice
RECONCILE_SECONDS = 60.0  # and counts again what another process counted on an older calendar
HOUSEKEEPING_SECONDS = 600.0  # how often ended sessions and finished failure counts are deleted
HEARTBEAT_SECONDS = 10.0  # how often a running worker says so (readiness: a worker seen within a minute)
RETENTION_CHECK_SECONDS = 3600.0  # how often it looks whether the daily retention run is due
RETENTION_BATCH = 100  # instances one round archives or erases at most: jobs wait meanwhile
STOP_CHECK_SECONDS = 0.25  # how soon an idle worker sees that it is to stop


@dataclass(frozen=True)
class TakenJob:
    id: str
    instance_id: str
    business_key: str
    task_id: str
    kind: str
    topic: str | None
    activity_id: str
    attempts: int
    request_id: str | None = None  # the request that made the job: the worker's lines for it carry its id


def _no_probe(point: str, **info) -> None:
    pass


def failure_text(err: Exception) -> tuple[str | None, str]:
    """A failed attempt as the admins read it: the business error's code (None for a technical failure) and
    what went wrong, in Chinese (a handler's own message; never an exception's text from elsewhere)."""
    if isinstance(err, BusinessError):
        return err.code, err.message
    if isinstance(err, HandlerError):
        return None, str(err) or INTERNAL_ERROR
    return None, INTERNAL_ERROR


class _LazyLedger:
    """The department ledger of one handler call, in a transaction begun at its first use: a handler that
    waits for a department's system before it records anything holds no write lock meanwhile (on SQLite the
    worker's heartbeat and every other writer go on)."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._uow: UnitOfWork | None = None

    def _ledger(self):
        if self._uow is None:
            self._uow = self._ctx.uow()
            self._uow.__enter__()
        return self._uow.ledger

    def recall(self, department: str, key: str):
        return self._ledger().recall(department, key)

    def remember(self, department: str, key: str, value: dict) -> None:
        self._ledger().remember(department, key, value)

    def next_number(self, series: str) -> int:
        return self._ledger().next_number(series)

    def commit(self) -> None:
        if self._uow is not None:
            self._uow.commit()

    def close(self) -> None:
        if self._uow is not None:
            uow, self._uow = self._uow, None
            uow.__exit__(None, None, None)


class Worker:
    """``probe(point, **info)`` is called at the points of a chain where a crash matters -- ``before_handler``,
    ``after_handler`` (its ledger committed), ``before_save`` -- so tests can kill the worker there."""

    def __init__(
        self,
        ctx: EngineContext,
        name: str | None = None,
        lock_seconds: int = DEFAULT_LOCK_SECONDS,
        batch: int = 20,
        chain: int = 50,
        heartbeat_seconds: float | None = None,
        probe: Callable[..., None] = _no_probe,
    ) -> None:
        self.ctx = ctx
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"
        self.lock = timedelta(seconds=lock_seconds)
        self.heartbeat_seconds = heartbeat_seconds if heartbeat_seconds is not None else lock_seconds / 3
        self.batch = batch
        self.chain = chain  # service tasks run in one load and save at most
        self.probe = probe
        self._calendar_checked = self._reconciled = self._housekept = float("-inf")
        self._beaten = self._retention_checked = float("-inf")
        self._retention_more = False  # the last round left due instances: the next round goes on
        self._started_at: datetime | None = None

    # -- the loop -------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Take the due jobs (up to ``batch``) and run them, an instance's service tasks together; the number
        of jobs taken."""
        jobs = self._take()
        if not jobs:
            return 0
        by_instance: dict[str, list[TakenJob]] = {}
        for job in jobs:
            by_instance.setdefault(job.instance_id, []).append(job)
        with self._heartbeat([job.id for job in jobs]):
            for group in by_instance.values():
                with log_context.bound(request_id=group[0].request_id, business_key=group[0].business_key):
                    for timer in [job for job in group if job.kind == "timer"]:
                        self._guarded([timer], self._fire_timer, timer)
                    service = [job for job in group if job.kind == "service_task"]
                    if service:
                        self._guarded(service, self._run_service_tasks, service)
        return len(jobs)

    @contextmanager
    def _heartbeat(self, job_ids: list[str]):
        """Extend the locks of the jobs taken every ``heartbeat_seconds`` while they run."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.heartbeat_seconds):
                try:
                    with self.ctx.uow() as uow:
                        uow.jobs.extend(job_ids, self.name, self.ctx.clock.now() + self.lock)
                        uow.commit()
                except Exception:  # the next beat tries again; the lock still has two thirds to run
                    log.warning("worker %s: could not extend its job locks", self.name, exc_info=True)

        thread = threading.Thread(target=beat, name=f"{self.name}-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def run_until_idle(self, max_rounds: int = 1000) -> int:
        done = 0
        for _ in range(max_rounds):
            count = self.run_once()
            if count == 0:
                return done
            done += count
        return done

    def run_forever(self, stop: threading.Event, idle_wait: float = 1.0) -> None:
        """Rounds until ``stop``. With nothing to do it waits for a job of its topics to be signalled (a save
        that made one, in this process or another: :mod:`engine.notify`) -- at most ``idle_wait`` seconds,
        for what no signal announces (a timer or a retry coming due)."""
        log.info("worker %s started", self.name)
        total = 0
        while not stop.is_set():
            # listening before it looks: a job committed between the look and the wait is not missed
            with self.ctx.notifier.listening(self._job_channels()) as signalled:
                try:
                    with log_context.bound(request_id=None, business_key=None):  # a round's lines say their own
                        self.heartbeat_round()
                        self.calendar_round()
                        self.housekeeping_round()
                        self.retention_round()
                        count = self.run_once()
                except Exception:  # the database may be restarting: keep going
                    log.exception("worker %s: round failed", self.name)
                    count = 0
                total += count
                if count:
                    log.info("worker %s: ran %d job(s), %d in all", self.name, count, total)
                else:
                    _idle(stop, signalled, idle_wait)
        self.stopped()
        log.info("worker %s stopped after %d job(s)", self.name, total)

    def _job_channels(self) -> list[str]:
        """The signals of new jobs this worker takes: its handlers' topics, but not those of external workers."""
        return [
            job_channel(topic) for topic in sorted(self.ctx.registry.topics()) if not self.ctx.external.matches(topic)
        ]

    def heartbeat_round(self) -> None:
        """Every ``HEARTBEAT_SECONDS``: this worker runs (``worker_heartbeats``, read by readiness)."""
        from .usecases import health

        now = time.monotonic()
        if now - self._beaten < HEARTBEAT_SECONDS:
            return
        self._beaten = now
        self._started_at = self._started_at or health.wall_clock()
        health.beat(self.ctx, self.name, self._started_at)

    def stopped(self) -> None:
        """This worker stops: readiness no longer counts it."""
        from .usecases import health

        try:
            health.stopped(self.ctx, self.name)
        except Exception:  # the database may be gone: the heartbeat then ages out within a minute
            log.warning("worker %s: could not remove its heartbeat", self.name, exc_info=True)

    def retention_round(self) -> int:
        """Once a day (by the last run recorded, whichever process ran it): the retention policy's run over
        the finished applications (``engine.usecases.retention``), ``RETENTION_BATCH`` at a time between
        rounds of jobs until none is due; how many it archived or erased."""
        from .usecases import retention

        now = time.monotonic()
        if now - self._retention_checked < RETENTION_CHECK_SECONDS and not self._retention_more:
            return 0
        self._retention_checked = now
        if not self._retention_more and not retention.due(self.ctx):
            return 0
        report = retention.run(self.ctx, by=f"worker {self.name}", limit=RETENTION_BATCH)
        self._retention_more = report.more
        return len(report.touched)

    def calendar_round(self) -> int:
        """R5.1: when a year's holiday notice was loaded (by any process), and every minute anyway, count
        again the open dates that were counted on days that are no longer the calendar's; the applications
        moved."""
        from .usecases.calendar import reconcile

        now = time.monotonic()
        if now - self._calendar_checked < CALENDAR_CHECK_SECONDS:
            return 0
        self._calendar_checked = now
        if not self.ctx.calendar.refresh() and now - self._reconciled < RECONCILE_SECONDS:
            return 0
        self._reconciled = now
        moved = reconcile(self.ctx)
        if moved:
            log.info("worker %s: due dates of %d application(s) counted again on the loaded calendar", self.name, moved)
        return moved

    def housekeeping_round(self) -> int:
        """Every ten minutes: delete the pages' sessions that have ended and the counts of wrong passwords
        whose window is over (both are refused or ignored anyway); how many rows went."""
        from .usecases.accounts import forget_what_has_ended
        from .usecases.web_sessions import SessionPolicy

        now = time.monotonic()
        if now - self._housekept < HOUSEKEEPING_SECONDS:
            return 0
        self._housekept = now
        return forget_what_has_ended(self.ctx, SessionPolicy.from_environment())

    # -- taking jobs ----------------------------------------------------------------------------

    def _take(self) -> list[TakenJob]:
        now = self.ctx.clock.now()
        external = self.ctx.external or None  # external workers take those topics' jobs
        with self.ctx.reader() as uow:  # idle rounds only read
            if not uow.jobs.candidates(now, 1, skip_locked=False, external=external):
                return []
        with self.ctx.uow() as uow:
            rows = uow.jobs.take_due(
                self.name, now, now + self.lock, self.batch, skip_locked=uow.is_postgresql, external=external
            )
            uow.commit()
        return [TakenJob(*row) for row in rows]

    def _guarded(self, jobs: list[TakenJob], run, *args) -> None:
        """Run; on a concurrent change give the jobs back at once (not an attempt); on any other error count
        a failed attempt of the first job and give the others back."""
        try:
            run(*args)
        except ConcurrentUpdate:
            for job in jobs:
                metrics.jobs_run.labels(job.kind, metrics.job_topic(job.topic, job.kind), "conflict").inc()
            self._release(jobs)
        except Exception as err:
            log.warning("job %s (%s) failed: %s", jobs[0].id, jobs[0].topic or jobs[0].kind, err.__class__.__name__)
            self._failed(jobs[0], err)
            self._release(jobs[1:])

    # -- service tasks --------------------------------------------------------------------------

    def _run_service_tasks(self, jobs: list[TakenJob]) -> None:
        """Run an instance's taken service tasks, and every service task that becomes ready after them, in
        one load and one save.

        The workflow is read in a short transaction; each handler then runs with the department ledger in
        its own transaction under the task's stable idempotency key; the results are applied in memory and
        the engine steps on, running the service tasks that became ready (up to ``chain``); finally one
        transaction, guarded by the instance's revision, saves it all. Service tasks whose job another
        worker holds or that wait for a retry are left alone, and so are those of topics external workers run
        (:mod:`engine.external_topics`). If a handler fails, what ran before it is saved and the failure counts
        as an attempt of that task's job.
        """
        held = {job.task_id: job for job in jobs}
        instance_id = jobs[0].instance_id
        with self.ctx.reader() as uow:
            instance = uow.instances.get(instance_id)
            assert instance is not None, "instances are never deleted and every job has one"
            revision = instance.revision
            workflow = self.ctx.workflows.load(uow, instance, to_change=True)
            elsewhere = {job.task_id for job in uow.jobs.for_instance(instance_id)} - held.keys()
        records: list[StepRecord] = []
        failure: tuple[str, Exception] | None = None
        while failure is None and len(records) < self.chain:
            ready = [
                task
                for task in ready_external_tasks(workflow)
                if str(task.id) not in elsewhere and not self.ctx.external.matches(task.task_spec.topic)
            ]
            if not ready:
                break
            for task in ready[: self.chain - len(records)]:
                self.probe("before_handler", instance_id=instance_id, activity_id=task.task_spec.bpmn_id)
                try:
                    outcome = self._call_handler(jobs[0].business_key, instance_id, task)
                except BusinessError as refusal:  # a BPMN error: caught in the diagram, or an incident
                    metrics.jobs_run.labels("service_task", task.task_spec.topic, "refused").inc()
                    log.info(
                        "service task %s (%s) refused: %s", task.task_spec.bpmn_id, task.task_spec.topic, refusal.code
                    )
                    caught = refuse(task, refusal)
                    if caught is None:
                        failure = (str(task.id), refusal)
                        break
                    records.append(caught)
                    continue
                except Exception as err:  # any failure of a department system is an attempt
                    log.warning(
                        "service task %s (%s) failed: %s",
                        task.task_spec.bpmn_id,
                        task.task_spec.topic,
                        err.__class__.__name__,
                    )
                    failure = (str(task.id), err)
                    break
                self.probe("after_handler", instance_id=instance_id, activity_id=task.task_spec.bpmn_id)
                log.info("service task %s (%s) done", task.task_spec.bpmn_id, task.task_spec.topic)
                records.append(apply_result(task, outcome))
            advance(workflow)
        self.probe("before_save", instance_id=instance_id, activity_id=None)
        with self.ctx.uow() as uow:
            # every job of the instance in one read: those this worker still holds, and the save's
            instance_jobs = uow.jobs.for_instance(instance_id, lock=uow.is_postgresql)
            mine = _held(instance_jobs, self.name)
            rows = [mine.get(job.id) for job in jobs]
            if any(row is None for row in rows):  # a lock expired and another worker took a job: it runs
                for row in rows:  # them again; give back the ones still ours
                    if row is not None:
                        uow.jobs.release(row)
                uow.commit()
                return
            instance = uow.instances.get(instance_id)
            assert instance is not None, "instances are never deleted"
            if instance.revision != revision:
                raise ConcurrentUpdate("the instance changed meanwhile")
            open_jobs = self.ctx.workflows.save(uow, instance, workflow, records, "system", jobs=instance_jobs)
            now = self.ctx.clock.now()
            if failure is not None and failure[0] in open_jobs:
                self._count_failure(uow, open_jobs[failure[0]], failure[1], now)
            for job in open_jobs.values():
                if job.locked_by == self.name:  # taken but not reached (a failure stopped the chain)
                    uow.jobs.release(job)
            uow.commit()

    def _call_handler(self, business_key: str, instance_id: str, task) -> HandlerResult:
        spec = task.task_spec
        handler = self.ctx.registry.get(spec.topic)
        calendar = self.ctx.calendar.current()
        ledger = _LazyLedger(self.ctx)
        started = time.perf_counter()
        try:
            outcome = handler(
                ServiceCall(
                    topic=spec.topic,
                    idempotency_key=step_key(instance_id, task),
                    business_key=business_key,
                    variables=json.loads(json.dumps(task.data)),
                    now=self.ctx.clock.now(),
                    ledger=ledger,
                    properties=dict(getattr(spec, "extensions", {})),
                    calendar=calendar,
                )
            )
            ledger.commit()
        finally:
            ledger.close()
            metrics.job_seconds.labels(spec.topic).observe(time.perf_counter() - started)
        metrics.jobs_run.labels("service_task", spec.topic, "done").inc()
        return outcome

    def run_held(self, job_id: str) -> None:
        """Run one job this worker holds (an admin's retry hands it over), as a round runs it."""
        with self.ctx.reader() as uow:
            job = uow.jobs.held(job_id, self.name, lock=False)
            if job is None:
                return
            taken = TakenJob(
                job.id,
                job.instance_id,
                job.business_key,
                job.task_id,
                job.kind,
                job.topic,
                job.activity_id,
                job.attempts,
                job.request_id,
            )
        with (
            self._heartbeat([taken.id]),
            log_context.bound(request_id=taken.request_id, business_key=taken.business_key),
        ):
            if taken.kind == "timer":
                self._guarded([taken], self._fire_timer, taken)
            else:
                self._guarded([taken], self._run_service_tasks, [taken])

    # -- timers ---------------------------------------------------------------------------------

    def _fire_timer(self, job: TakenJob) -> None:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            instance_jobs = uow.jobs.for_instance(job.instance_id, lock=uow.is_postgresql)  # the save's too
            if job.id not in _held(instance_jobs, self.name):
                return
            instance = uow.instances.get(job.instance_id)
            assert instance is not None, "instances are never deleted and every job has one"
            workflow = self.ctx.workflows.load(uow, instance, to_change=True)
            task = self.ctx.workflows.workflow_task(workflow, job.task_id)
            workflow.refresh_timers()
            advance(workflow)
            if task.state != TaskState.WAITING:
                self.ctx.workflows.record(
                    uow,
                    instance.id,
                    "system",
                    "timer_fired",
                    at=now,
                    activity_id=job.activity_id,
                    activity_name=task.task_spec.bpmn_name,
                )
            self.ctx.workflows.save(uow, instance, workflow, [], "system", jobs=instance_jobs)
            uow.commit()
        metrics.jobs_run.labels("timer", "timer", "done").inc()

    # -- failures -------------------------------------------------------------------------------

    def _release(self, jobs: list[TakenJob]) -> None:
        if not jobs:
            return
        with self.ctx.uow() as uow:
            for job in jobs:
                row = uow.jobs.held(job.id, self.name, lock=False)
                if row is not None:
                    uow.jobs.release(row)
            uow.commit()

    def _failed(self, job: TakenJob, err: Exception) -> None:
        with self.ctx.uow() as uow:
            row = uow.jobs.held(job.id, self.name, lock=False)
            if row is None:
                return
            self._count_failure(uow, row, err, self.ctx.clock.now())
            uow.commit()

    def _count_failure(self, uow, row: Job, err: Exception, now) -> None:
        """One failed attempt: retry after a backoff, or after the last attempt an incident; a business error
        nothing caught is an incident at once."""
        code, message = failure_text(err)
        count_failure(self.ctx, uow, row, Failure(code, message, f"{err.__class__.__name__}: {err}"), now)


def retry_incident(ctx: EngineContext, principal: Principal, job_id: str) -> dict:
    """An admin's retry: the incident's job runs once more, now, here, as a worker would run it; the incident
    with what came of it (``outcome``: ``resolved``, ``failed`` -- an incident again at once, with why --
    or ``queued`` when the application changed meanwhile and a worker runs it shortly). A step of a topic
    external workers run is handed back to them (``queued``): the next one that asks for work gets it."""
    from .usecases import incidents

    runner = Worker(ctx, name=f"retry:{uuid4().hex[:12]}")
    before = incidents.reopen(ctx, principal, job_id, runner.name, ctx.clock.now() + runner.lock)
    if before["external"]:
        return incidents.retry_outcome(ctx, before)
    runner.run_held(job_id)
    return incidents.retry_outcome(ctx, before)


def _held(instance_jobs: list[Job], worker: str) -> dict[str, Job]:
    """Those of an instance's jobs (read, and locked on PostgreSQL, in the save's unit of work) that ``worker``
    still holds, by id."""
    return {row.id: row for row in instance_jobs if row.locked_by == worker}


def _idle(stop: threading.Event, signalled: Subscription, seconds: float) -> None:
    """Wait until a job is signalled, ``seconds`` went by or ``stop`` is set (seen within a fraction of a
    second)."""
    end = time.monotonic() + seconds
    while not stop.is_set():
        left = end - time.monotonic()
        if left <= 0 or signalled.wait(min(left, STOP_CHECK_SECONDS)):
            return


def start_background_worker(ctx: EngineContext, stop: threading.Event) -> threading.Thread:
    """The worker ``onething serve`` runs beside the API."""
    thread = threading.Thread(target=Worker(ctx).run_forever, args=(stop,), name="onething-worker", daemon=True)
    thread.start()
    return thread
