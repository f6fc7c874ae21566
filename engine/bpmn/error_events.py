"""Throwing a BPMN error on a running task, as Camunda's ``handleBpmnError`` does for an external task.

SpiffWorkflow throws errors only from error end events, to every error event waiting in the workflow. A
task's error goes where BPMN sends it: to an error boundary event attached to the task itself (for an
instance of a multi-instance or loop activity, to the activity), else to one on the subprocess or call
activity running it, and so on outwards; on each activity an event for the error's code before one that
catches every code (no ``errorRef``, or a ``bpmn:error`` without ``errorCode``). The boundary event (an error
boundary event always interrupts) cancels the task when it runs and the flow goes on from it.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from .specs import BpmnErrorEvent, CamundaErrorEventDefinition

THROWN = "bpmn_error"  # in a task's internal data: the code of the BPMN error its run ended with


def catching_event(task, code: str):
    """The waiting error boundary event that catches ``code`` thrown by ``task``, or None."""
    current = task
    while current is not None:
        parent = current.parent
        while parent is not None and isinstance(parent.task_spec, LoopTask):
            current, parent = parent, parent.parent
        if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
            waiting = [
                t
                for t in parent.children
                if t.state == TaskState.WAITING
                and isinstance(t.task_spec, BoundaryEvent)
                and t.task_spec.cancel_activity
                and isinstance(t.task_spec.event_definition, ErrorEventDefinition)
            ]
            for wanted in (code, None):
                for candidate in waiting:
                    if candidate.task_spec.event_definition.code == wanted:
                        return candidate
        workflow = current.workflow
        if workflow is workflow.top_workflow:
            return None
        current = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
    return None


def throw_error(task, code: str, message: str | None = None):
    """Throw the BPMN error ``code`` on ``task``: the boundary event that catches it becomes ready (it runs at
    the next engine step, cancelling the task if it interrupts) with ``camunda:errorCodeVariable`` and
    ``errorMessageVariable`` set; the event's task, or None when nothing catches it (nothing changes then).

    The task, and the activity it is an instance of, keep the code in their internal data: the step was
    done, and a later run of the same activity is a new step (:func:`engine.runtime.step_key`)."""
    catcher = catching_event(task, code)
    if catcher is None:
        return None
    marked = task
    while True:
        marked.internal_data[THROWN] = code
        if marked.parent is None or not isinstance(marked.parent.task_spec, LoopTask):
            break
        marked = marked.parent
    thrown = CamundaErrorEventDefinition(code, code)
    catcher.task_spec.catch(catcher, BpmnErrorEvent(thrown, message=message, payload={}, target=catcher.workflow))
    catcher.task_spec._update(catcher)
    return catcher
