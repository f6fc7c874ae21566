"""Outside events correlated to the instance that waits for them, by business key (R2.8, R2.10)."""

from __future__ import annotations

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition

from ..context import EngineContext
from ..errors import Conflict, NotFound
from ..persistence.unit_of_work import ConcurrentUpdate
from ..runtime import advance, item_of
from ..users import Principal
from .access import check_instance_visible


def correlate(ctx: EngineContext, principal: Principal, name: str, business_key: str, variables: dict) -> dict:
    """Deliver message ``name`` to the application ``business_key`` waits with; 404 if none waits."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        waiting = uow.subscriptions.of_business_key(business_key)  # every one of the instance: the save's too
        subscription = next((found for found in waiting if found.message_name == name), None)
        if subscription is None:
            raise NotFound(f"no application {business_key} is waiting for message {name!r}")
        instance = check_instance_visible(principal, uow.instances.get(subscription.instance_id))
        workflow = ctx.workflows.load(uow, instance, to_change=True)
        task = ctx.workflows.workflow_task(workflow, subscription.task_id)
        event = BpmnEvent(MessageEventDefinition(name), payload={"payload": variables, "result_var": name})
        workflow.send_event(event)
        advance(workflow)
        ctx.workflows.record(
            uow,
            instance.id,
            principal.name,
            "message_received",
            at=now,
            activity_id=task.task_spec.bpmn_id,
            activity_name=task.task_spec.bpmn_name,
            item=item_of(task.task_spec),
            detail={"message": name, "variables": variables},
        )
        subscriptions = [found for found in waiting if found.instance_id == instance.id]
        ctx.workflows.save(uow, instance, workflow, [], principal.name, subscriptions=subscriptions)
        try:
            uow.commit()
        except ConcurrentUpdate:
            raise Conflict("the application changed meanwhile; send the message again") from None
        return {
            "process_instance_id": instance.id,
            "business_key": instance.business_key,
            "activity_id": task.task_spec.bpmn_id,
            "state": instance.state,
        }
