"""Applying the retention policies (issue 25, "Retention"): which finished instances are due, archiving and
erasing them, the dry run that only lists them, the daily run's schedule, and the legal hold.

Each instance is archived and erased in a transaction of its own, guarded by its revision (an instance that
changes meanwhile is left for the next run), and the change is written in its history (``instance_archived``,
``personal_data_erased``) by whoever ran it; each run is recorded (``retention_runs``). Running instances and
instances under a legal hold are never touched. A material's file is deleted before its erasure commits (a
run stopped between the two is finished by the next) unless an instance not yet erased has the same file.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from .. import log_context, metrics
from ..clock import iso
from ..context import EngineContext
from ..errors import Conflict, InvalidInput
from ..materials import MaterialStore, configured_directory
from ..persistence.models import ProcessInstance
from ..persistence.operations_models import RetentionRun
from ..persistence.unit_of_work import ConcurrentUpdate, UnitOfWork
from ..projection import workflow_facts
from ..retention import Eraser, archive_record, policies
from ..runtime import completed_tasks
from ..service import Retention, Service
from ..users import Principal
from .access import check_instance_visible

log = logging.getLogger(__name__)

RUN_EVERY = timedelta(days=1)  # the workers' daily run
MAX_REASON = 500


@dataclass(frozen=True)
class Touched:
    """An instance a run archives or erases (or, in a dry run, would)."""

    business_key: str
    service: str
    state: str
    ended_at: str
    actions: tuple[str, ...]  # "archive", "erase"


@dataclass
class Report:
    at: datetime
    dry_run: bool
    touched: list[Touched] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # business keys changed meanwhile: left for the next run
    unmanaged: list[str] = field(default_factory=list)  # services without a policy: nothing of theirs touched
    more: bool = False  # a run with a limit left some due instances for the next

    def as_dict(self) -> dict:
        return {
            "at": iso(self.at),
            "dry_run": self.dry_run,
            "touched": [asdict(t) for t in self.touched],
            "skipped": self.skipped,
            "services_without_policy": self.unmanaged,
        }


def policy_view(ctx: EngineContext) -> list[dict]:
    """Each installed service's policy in force (``None`` days: kept whole)."""
    found = policies(ctx.services.all)
    return [
        {
            "service": s.name,
            "title": s.title,
            "archive_after_days": found[s.name].archive_after_days if s.name in found else None,
            "erase_after_days": found[s.name].erase_after_days if s.name in found else None,
            "reasoning": found[s.name].reasoning if s.name in found else "",
        }
        for s in ctx.services.all
    ]


def _actions(instance: ProcessInstance, policy: Retention, now: datetime) -> tuple[str, ...]:
    if instance.state == "active" or instance.ended_at is None or instance.legal_hold:
        return ()
    age = now - instance.ended_at
    erase = instance.erased_at is None and age > timedelta(days=policy.erase_after_days)
    archive = instance.archived_at is None and (erase or age > timedelta(days=policy.archive_after_days))
    return tuple(action for action, due in (("archive", archive), ("erase", erase)) if due)


def _due(
    ctx: EngineContext, now: datetime, limit: int | None = None
) -> tuple[list[tuple[Service, Retention, str, Touched]], list[str]]:
    """(service, policy, instance id, what is due) of the instances due now (``limit`` + 1 at most); the services
    without a policy."""
    found = policies(ctx.services.all)
    due, unmanaged = [], []
    for service in ctx.services.all:
        policy = found.get(service.name)
        if policy is None:
            unmanaged.append(service.name)
            continue
        archive_before = now - timedelta(days=min(policy.archive_after_days, policy.erase_after_days))
        erase_before = now - timedelta(days=policy.erase_after_days)
        after = ""
        while True:
            with ctx.reader() as uow:
                batch = uow.retention.due(sorted(service.process_keys), archive_before, erase_before, after)
                due += [
                    (service, policy, instance.id, _touched(service, instance, actions))
                    for instance in batch
                    if (actions := _actions(instance, policy, now))
                ]
                if not batch or (limit is not None and len(due) > limit):
                    break
                after = batch[-1].id
    return due, unmanaged


def run(
    ctx: EngineContext, by: str, dry_run: bool = False, store: MaterialStore | None = None, limit: int | None = None
) -> Report:
    """Archive and erase what the policies say is due now (service clock); with ``dry_run`` only list it. With
    ``limit``, at most that many instances (``Report.more``: some are left for the next run)."""
    now = ctx.clock.now()
    due, unmanaged = _due(ctx, now, limit)
    report = Report(at=now, dry_run=dry_run, unmanaged=unmanaged, more=limit is not None and len(due) > limit)
    due = due[:limit]
    if dry_run:
        report.touched = [touched for _, _, _, touched in due]
        return report
    store = store or MaterialStore(configured_directory())
    for service, policy, instance_id, listed in due:
        with log_context.bound(business_key=listed.business_key):
            try:
                done = _apply(ctx, service, policy, instance_id, by, store)
            except ConcurrentUpdate:
                done = None
            if done is None:
                report.skipped.append(listed.business_key)
            elif done.actions:
                report.touched.append(done)
                log.info("retention: %s", " and ".join(done.actions))
    with ctx.uow() as uow:
        uow.retention.add_run(
            RetentionRun(
                started_at=now,
                finished_at=ctx.clock.now(),
                by=by[:100],
                archived=sum("archive" in t.actions for t in report.touched),
                erased=sum("erase" in t.actions for t in report.touched),
                detail=[{"business_key": t.business_key, "actions": list(t.actions)} for t in report.touched],
            )
        )
        uow.commit()
    return report


def _touched(service: Service, instance: ProcessInstance, actions: tuple[str, ...]) -> Touched:
    return Touched(instance.business_key, service.name, instance.state, iso(instance.ended_at) or "", actions)


def _apply(
    ctx: EngineContext, service: Service, policy: Retention, instance_id: str, by: str, store: MaterialStore
) -> Touched | None:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        instance = uow.instances.get(instance_id)
        if instance is None:
            return None
        actions = _actions(instance, policy, now)
        if "archive" in actions:
            _archive(ctx, uow, instance, service, policy, by, now)
        if "erase" in actions:
            _erase(ctx, uow, instance, service, policy, by, now, store)
        for action in actions:
            uow.after_commit(metrics.retention_done.labels(service.name, action).inc)
        uow.commit()
        return _touched(service, instance, actions)


def _archive(
    ctx: EngineContext,
    uow: UnitOfWork,
    instance: ProcessInstance,
    service: Service,
    policy: Retention,
    by: str,
    now: datetime,
) -> None:
    """The workflow state replaced by the compact record (the summary and the history stay)."""
    before = len(instance.workflow_state or "")
    workflow = ctx.workflows.load(uow, instance)
    record = archive_record(
        workflow_facts(workflow).data,
        (t.task_spec.bpmn_id for t in completed_tasks(workflow) if t.task_spec.bpmn_id),
        policy,
        service.views.personal_keys,
        iso(now) or "",
    )
    instance.archive = record
    instance.workflow_state = ""
    instance.archived_at = now
    ctx.workflows.record(
        uow,
        instance.id,
        by,
        "instance_archived",
        at=now,
        detail={
            "archive_after_days": policy.archive_after_days,
            "state_bytes_before": before,
            "kept": sorted(record["data"]),
        },
    )


def _erase(
    ctx: EngineContext,
    uow: UnitOfWork,
    instance: ProcessInstance,
    service: Service,
    policy: Retention,
    by: str,
    now: datetime,
    store: MaterialStore,
) -> None:
    """Every personal value out of what the instance left; its materials' files deleted."""
    record = dict(instance.archive or {})
    eraser = Eraser(service.views.personal_keys, record.pop("personal_values", []))
    instance.archive = {**eraser.data(record), "personal_values": []}
    instance.summary = eraser.data(instance.summary or {})
    instance.end_reason = eraser.text(instance.end_reason)
    instance.subject_key = instance.applicant_name = instance.subject_name = None
    uow.search_keys.forget(instance.id)
    for event in uow.history.for_instance(instance.id):
        event.reason, event.detail = eraser.text(event.reason), eraser.data(event.detail or {})
    for task in uow.tasks.for_instance(instance.id):
        if task.refusal:
            task.refusal = eraser.data(task.refusal)
        task.reason = eraser.text(task.reason)
    for entry in uow.retention.ledger_of(instance.id):
        entry.value = eraser.data(entry.value)
    files = set()
    for material in uow.retention.materials_of(instance.id):
        material.filename = None  # a file's name may be a person's ("王芳身份证.jpg")
        files.add(material.sha256)
    deleted = 0
    for sha256 in sorted(files):
        if not uow.retention.file_kept_elsewhere(sha256, instance.id):
            deleted += store.delete(sha256)
    instance.erased_at = now
    ctx.workflows.record(
        uow,
        instance.id,
        by,
        "personal_data_erased",
        at=now,
        detail={"erase_after_days": policy.erase_after_days, "values": eraser.changed, "files_deleted": deleted},
    )


def due(ctx: EngineContext) -> bool:
    """Whether the daily run is due: no run recorded in the last day (service clock)."""
    with ctx.reader() as uow:
        last = uow.retention.last_run()
        return last is None or ctx.clock.now() - last.started_at >= RUN_EVERY


def set_hold(
    ctx: EngineContext,
    principal: Principal,
    hold: bool,
    reason: str | None,
    *,
    instance_id: str | None = None,
    business_key: str | None = None,
) -> dict:
    """Put an instance under a legal hold (retention leaves it as it is) or release it; recorded in its
    history with who and why. A hold needs a reason."""
    reason = (reason or "").strip() or None
    if hold and not reason:
        raise InvalidInput("a legal hold needs a reason", {"reason": ["必填项"]})
    if reason and len(reason) > MAX_REASON:
        raise InvalidInput("reason too long", {"reason": [f"at most {MAX_REASON} characters"]})
    now = ctx.clock.now()
    with ctx.uow() as uow:
        found = uow.instances.get(instance_id) if instance_id else uow.instances.by_business_key(business_key or "")
        instance = check_instance_visible(principal, found)
        if hold and instance.erased_at is not None:
            raise Conflict(
                f"the personal data of {instance.business_key} were erased on {iso(instance.erased_at)}: "
                f"there is nothing left to hold"
            )
        if instance.legal_hold != hold:
            instance.legal_hold = hold
            ctx.workflows.record(
                uow,
                instance.id,
                principal.name,
                "legal_hold_set" if hold else "legal_hold_released",
                at=now,
                reason=reason,
            )
            try:
                uow.commit()
            except ConcurrentUpdate:
                raise Conflict("the application changed meanwhile; try again") from None
        return hold_view(instance)


def hold_view(instance: ProcessInstance) -> dict:
    return {
        "id": instance.id,
        "business_key": instance.business_key,
        "state": instance.state,
        "legal_hold": instance.legal_hold,
        "archived_at": iso(instance.archived_at),
        "erased_at": iso(instance.erased_at),
    }


def get_hold(ctx: EngineContext, principal: Principal, instance_id: str) -> dict:
    with ctx.reader() as uow:
        return hold_view(check_instance_visible(principal, uow.instances.get(instance_id)))


def archived_steps(instance: ProcessInstance) -> set[str] | None:
    """The steps an archived instance did (its diagram), None when its workflow is still there."""
    if instance.archive is None:
        return None
    return set(instance.archive.get("done_steps") or [])
