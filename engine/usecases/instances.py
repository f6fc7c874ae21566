"""Applications: start one, and the views of it (instance, progress for the applicant, history)."""

from __future__ import annotations

import secrets
from uuid import uuid4

from .. import metrics
from ..clock import iso
from ..context import EngineContext
from ..errors import Conflict, Ineligible, InvalidInput, NotFound
from ..persistence.models import IdempotencyRecord, ProcessInstance
from ..persistence.unit_of_work import ConcurrentUpdate
from ..runtime import advance, set_start_variables
from ..users import Principal
from .access import check_instance_visible
from .conflicts import run_again_on_conflict
from .incidents import incident_dict
from .views import instance_view, progress_view

MAX_BUSINESS_KEY = 100  # characters: the column's length


def new_business_key(prefix: str, now) -> str:
    return f"{prefix}{now:%Y%m%d}{secrets.token_hex(4).upper()}"


def start(
    ctx: EngineContext,
    principal: Principal,
    key: str,
    variables: dict,
    business_key: str | None = None,
    idempotency_key: str | None = None,
    version: int | None = None,
) -> dict:
    """Start an instance of process ``key`` (its latest version, or ``version``); the same ``idempotency_key``
    again returns the first answer.

    The service reads the variables (:attr:`Service.start`: invalid input is 422). The process then runs to
    its first wait; if it ends at once at an end event with outcome ``refused`` (the policy refused it), the
    start answers 422 with the process's ``refusals`` and nothing is stored.
    """
    if business_key is not None and (
        not isinstance(business_key, str) or not 0 < len(business_key) <= MAX_BUSINESS_KEY
    ):
        raise InvalidInput(
            "invalid business key", {"businessKey": [f"a business key is text of 1 to {MAX_BUSINESS_KEY} characters"]}
        )
    replay = _replay(ctx, principal, idempotency_key)
    if replay is not None:
        return replay
    now = ctx.clock.now()
    service = ctx.services.for_process(key)
    started = service.start_form.read(variables or {}, now)
    with ctx.uow() as uow:
        definition = uow.definitions.by_version(key, version) if version else uow.definitions.latest(key)
        deployment_id = uow.definitions.deployment_running(definition.id) if definition is not None else None
        if definition is None or deployment_id is None:
            raise NotFound(f"no process definition {key!r}{f' version {version}' if version else ''} is deployed")
        business_key = business_key or new_business_key(service.business_key_prefix, now)
        if uow.instances.by_business_key(business_key) is not None:
            raise Conflict(
                f"business key {business_key} is already used by another application: a business key "
                f"names one application here (leave it empty and one is given)"
            )
        if started.subject_key and uow.instances.active_for_subject(started.subject_key) is not None:
            raise Conflict(f"an active application for the same subject exists ({service.start_form.subject})")
        instance = ProcessInstance(
            id=str(uuid4()),
            business_key=business_key,
            definition_id=definition.id,
            deployment_id=deployment_id,
            state="active",
            region=started.region,
            jurisdiction=started.jurisdiction,
            started_by=principal.name,
            created_at=now,
            updated_at=now,
            workflow_state="",
            serializer_version=ctx.serializer.version,
            summary={},
            subject_key=started.subject_key,
            applicant_name=_name(started.applicant_name),
            subject_name=_name(started.subject_name),
        )
        uow.instances.add(instance)
        uow.flush()
        uow.search_keys.add_missing(instance.id, ctx.search.of(started.search_keys))
        ctx.workflows.record(
            uow,
            instance.id,
            principal.name,
            "instance_started",
            at=now,
            detail={"definition": definition.key, "version": definition.version, **started.detail},
        )
        workflow = ctx.workflows.new_workflow(uow, instance)
        set_start_variables(workflow, started.variables)
        advance(workflow)
        ctx.workflows.save(uow, instance, workflow, [], principal.name)
        if instance.state == "refused":  # the process's own policy refused it: nothing is stored
            metrics.applications_refused.labels(service.name, started.region).inc()
            raise Ineligible((instance.summary or {}).get("refusals") or [])
        response = {
            "id": instance.id,
            "business_key": instance.business_key,
            "definition": {"key": definition.key, "version": definition.version},
            "state": instance.state,
        }
        if idempotency_key:
            uow.idempotency.add(
                IdempotencyRecord(
                    principal=principal.name,
                    key=idempotency_key,
                    endpoint=f"start:{key}",
                    status=201,
                    response=response,
                    created_at=now,
                )
            )
        uow.after_commit(metrics.applications_started.labels(service.name, started.region).inc)
        try:
            uow.commit()
        except ConcurrentUpdate:
            replay = _replay(ctx, principal, idempotency_key)
            if replay is not None:
                return replay
            raise Conflict("an application with this business key or for this subject is already active") from None
        return response


def object_variables(ctx: EngineContext, key: str) -> frozenset[str]:
    """The start variables process ``key``'s service reads as objects (its start form says)."""
    return ctx.services.for_process(key).start_form.objects


def _name(text: str | None) -> str | None:
    """A name as a list shows it (the column holds 100 characters)."""
    return text[:100] if text else None


def _replay(ctx: EngineContext, principal: Principal, idempotency_key: str | None) -> dict | None:
    """The first answer given to this ``Idempotency-Key`` by this caller, if any."""
    if not idempotency_key:
        return None
    with ctx.reader() as uow:
        record = uow.idempotency.get(principal.name, idempotency_key)
        return dict(record.response) if record is not None else None


def get_instance(ctx: EngineContext, principal: Principal, instance_id: str) -> dict:
    with ctx.reader() as uow:
        instance = check_instance_visible(principal, uow.instances.get(instance_id))
        definition = ctx.definition(uow, instance.definition_id)
        staff = principal.has_role("clerk", "supervisor", "admin")
        view = instance_view(
            instance,
            definition,
            ctx.services.for_process(definition.key),
            uow.tasks.for_instance(instance.id),
            ctx.clock.now(),
            mask=not staff,
        )
        incidents = uow.jobs.incidents_of(instance.id)
        view["waiting_for"] = [
            {"message": sub.message_name, "activity_id": sub.activity_id}
            for sub in uow.subscriptions.for_instance(instance.id)
        ]
        view["incidents"] = (
            [incident_dict(j) for j in incidents]
            if staff
            else [{"id": j.id, "activity_id": j.activity_id, "activity_name": j.activity_name} for j in incidents]
        )
        if staff:
            view["jobs"] = service_steps(ctx, uow.jobs.for_instance(instance.id))
        return view


def service_steps(ctx: EngineContext, jobs: list) -> list[dict]:
    """The service tasks an application waits on, for staff: who runs each (an external worker or the
    in-process one), which worker holds it now, since when and until when."""
    now = ctx.clock.now()
    found = []
    for job in sorted((j for j in jobs if j.kind == "service_task"), key=lambda j: (j.created_at, j.id)):
        held = job.locked_until is not None and job.locked_until >= now
        found.append(
            {
                "id": job.id,
                "activity_id": job.activity_id,
                "activity_name": job.activity_name,
                "topic": job.topic,
                "external": ctx.external.matches(job.topic),
                "state": job.state,
                "attempts": job.attempts,
                "worker": job.locked_by if held else None,
                "locked_at": iso(job.locked_at) if held else None,
                "locked_until": iso(job.locked_until) if held else None,
            }
        )
    return found


def get_progress(ctx: EngineContext, principal: Principal, business_key: str) -> dict:
    with ctx.reader() as uow:
        instance = check_instance_visible(principal, uow.instances.by_business_key(business_key))
        return progress_view(
            instance, ctx.service_of(uow, instance), uow.tasks.for_instance(instance.id), ctx.clock.now()
        )


def get_history(ctx: EngineContext, principal: Principal, instance_id: str) -> list[dict]:
    with ctx.reader() as uow:
        instance = check_instance_visible(principal, uow.instances.get(instance_id))
        return [
            {
                "at": iso(e.at),
                "actor": e.actor,
                "kind": e.kind,
                "activity_id": e.activity_id,
                "activity_name": e.activity_name,
                "department": e.department,
                "item": e.item,
                "reason": e.reason,
                "detail": e.detail,
            }
            for e in uow.history.for_instance(instance.id)
        ]


def cancel(ctx: EngineContext, principal: Principal, instance_id: str, reason: str | None) -> dict:
    """The applicant withdraws: the instance ends ``cancelled``; its open tasks, jobs and waits close (done
    again on the new state if the worker saved the application meanwhile)."""

    def once() -> dict:
        with ctx.uow() as uow:
            instance = check_instance_visible(principal, uow.instances.get(instance_id))
            return _cancel(ctx, uow, instance, principal.name, reason)

    return run_again_on_conflict(once, "the application changed meanwhile; try again")


def cancel_running(ctx: EngineContext, instance_id: str, actor: str, reason: str) -> dict | None:
    """Cancel an instance for a reason of the service's own (its deployment deleted), whoever's it is; None when
    it is no longer active."""

    def once() -> dict | None:
        with ctx.uow() as uow:
            instance = uow.instances.get(instance_id)
            if instance is None or instance.state != "active":
                return None
            return _cancel(ctx, uow, instance, actor, reason)

    return run_again_on_conflict(once, "the application changed meanwhile; try again")


def _cancel(ctx: EngineContext, uow, instance: ProcessInstance, actor: str, reason: str | None) -> dict:
    now = ctx.clock.now()
    if instance.state != "active":
        raise Conflict(f"the application is already {instance.state}")
    if uow.is_postgresql:  # its jobs before its row, in the worker's order: neither waits for the other in a circle
        uow.jobs.for_instance(instance.id, lock=True)
    workflow = ctx.workflows.load(uow, instance, to_change=True)
    workflow.cancel()
    instance.state = "cancelled"
    instance.ended_at = now
    instance.end_reason = reason
    ctx.workflows.close_open_work(uow, instance, now)
    ctx.workflows.save(uow, instance, workflow, [], actor)
    ctx.workflows.record(uow, instance.id, actor, "instance_cancelled", at=now, reason=reason)
    uow.after_commit(
        metrics.applications_ended.labels(ctx.service_of(uow, instance).name, instance.region, "cancelled").inc
    )
    uow.commit()
    definition = ctx.definition(uow, instance.definition_id)
    return {
        "id": instance.id,
        "business_key": instance.business_key,
        "definition": {"key": definition.key, "version": definition.version},
        "state": instance.state,
    }
