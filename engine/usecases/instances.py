"""Applications: start one, and the views of it (instance, progress for the applicant, history)."""

from __future__ import annotations

import secrets
from uuid import uuid4

from marshmallow import ValidationError

from forms.application import validate_application
from forms.errors import flatten_errors
from forms.items import chosen_map

from ..clock import iso
from ..context import EngineContext
from ..errors import Conflict, InvalidInput, NotFound
from ..persistence.models import ProcessInstance
from ..persistence.unit_of_work import ConcurrentUpdate
from ..runtime import set_start_variables
from ..users import Principal
from .access import check_instance_visible
from .views import instance_view, progress_view


def application_jurisdiction(application: dict) -> str:
    """The division code the application belongs to: the hukou being registered, else the mother's."""
    hukou = application.get("hukou") or {}
    return hukou.get("division_code") or application["mother"]["hukou_division"]


def new_business_key(now) -> str:
    return f"NB{now:%Y%m%d}{secrets.token_hex(4).upper()}"


def start(ctx: EngineContext, principal: Principal, key: str, variables: dict,
          business_key: str | None = None) -> dict:
    now = ctx.clock.now()
    raw = (variables or {}).get("application")
    if not isinstance(raw, dict):
        raise InvalidInput("申请表缺失", {"variables.application": ["必填项"]})
    try:
        application = validate_application(raw, now=now)
    except ValidationError as err:
        raise InvalidInput("申请表填写有误", flatten_errors(err.messages)) from None
    with ctx.uow() as uow:
        definition = uow.definitions.latest(key)
        if definition is None:
            raise NotFound(f"no process definition {key!r} is deployed")
        business_key = business_key or new_business_key(now)
        if uow.instances.by_business_key(business_key) is not None:
            raise Conflict(f"business key {business_key} is already used")
        instance = ProcessInstance(
            id=str(uuid4()), business_key=business_key, definition_id=definition.id, state="active",
            region=application["region"], jurisdiction=application_jurisdiction(application),
            started_by=principal.name, created_at=now, updated_at=now, workflow_state="",
            serializer_version=ctx.serializer.version, summary={},
        )
        uow.instances.add(instance)
        uow.flush()
        ctx.record(uow, instance.id, principal.name, "instance_started", at=now,
                   detail={"definition": definition.key, "version": definition.version,
                           "items": application["items"], "channel": application["channel"]})
        workflow = ctx.new_workflow(uow, definition)
        set_start_variables(workflow, {
            "application": application,
            "chosen": chosen_map(application["items"]),
            "region": application["region"],
            "channel": application["channel"],
        })
        records = ctx.step(uow, instance, workflow)
        ctx.save(uow, instance, workflow, records, principal.name)
        try:
            uow.commit()
        except ConcurrentUpdate:
            raise Conflict(f"business key {business_key} is already used") from None
        return {
            "id": instance.id,
            "business_key": instance.business_key,
            "definition": {"key": definition.key, "version": definition.version},
            "state": instance.state,
        }


def get_instance(ctx: EngineContext, principal: Principal, instance_id: str) -> dict:
    with ctx.uow() as uow:
        instance = check_instance_visible(principal, uow.instances.get(instance_id))
        definition = uow.definitions.get(instance.definition_id)
        return instance_view(instance, definition, uow.tasks.for_instance(instance.id), ctx.clock.now(),
                             mask=not principal.has_role("clerk", "supervisor", "admin"))


def get_progress(ctx: EngineContext, principal: Principal, business_key: str) -> dict:
    with ctx.uow() as uow:
        instance = check_instance_visible(principal, uow.instances.by_business_key(business_key))
        return progress_view(instance, uow.tasks.for_instance(instance.id), ctx.clock.now())


def get_history(ctx: EngineContext, principal: Principal, instance_id: str) -> list[dict]:
    with ctx.uow() as uow:
        instance = check_instance_visible(principal, uow.instances.get(instance_id))
        return [
            {
                "at": iso(e.at), "actor": e.actor, "kind": e.kind, "activity_id": e.activity_id,
                "activity_name": e.activity_name, "department": e.department, "item": e.item,
                "reason": e.reason, "detail": e.detail,
            }
            for e in uow.history.for_instance(instance.id)
        ]
