"""Task specs for what the Camunda flavour of SpiffWorkflow does not model.

- ``ExternalTask``: a ``bpmn:serviceTask`` with ``camunda:type="external"``. Like Camunda 7's external
  tasks, the engine stops at it (it is *manual* for SpiffWorkflow) until a worker runs the handler of its
  ``topic`` and completes it with the result.
- ``ReviewTask``: a ``bpmn:userTask`` that also keeps ``camunda:candidateGroups``, ``candidateUsers``,
  ``assignee`` and ``dueDate``, which the stock Camunda parser drops.
- ``OutcomeEndEvent``: an end event that keeps its ``camunda:properties`` (``outcome`` says whether the
  instance ends ``completed`` or ``returned``).
- ``CamundaErrorEventDefinition``: an error event that keeps Camunda's ``camunda:errorCodeVariable`` and
  ``camunda:errorMessageVariable``: the process variables a catching event sets to the error's code and
  message.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.specs.user_task import UserTask


class ExternalTask(BpmnSpecMixin):
    """A service task executed outside the engine by the handler registered for ``topic``."""

    def __init__(self, wf_spec, bpmn_id, topic: str, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.manual = True

    @property
    def spec_type(self):
        return "External Task"


class ReviewTask(UserTask):
    """A user task with the Camunda assignment and due-date attributes."""

    def __init__(
        self, wf_spec, bpmn_id, form, candidate_groups=(), candidate_users=(), assignee=None, due_date=None, **kwargs
    ):
        super().__init__(wf_spec, bpmn_id, form, **kwargs)
        self.candidate_groups = list(candidate_groups)
        self.candidate_users = list(candidate_users)
        self.assignee = assignee
        self.due_date = due_date


class OutcomeEndEvent(EndEvent):
    """An end event whose ``outcome`` extension property names the instance's final state."""

    @property
    def outcome(self) -> str:
        return getattr(self, "extensions", {}).get("outcome", "completed")


class CamundaErrorEventDefinition(ErrorEventDefinition):
    """An error event (matched by ``code``; no code catches every error) with the variables a catching event
    sets: ``code_variable`` to the error's code, ``message_variable`` to its message."""

    def __init__(self, name, code=None, code_variable=None, message_variable=None, **kwargs):
        super().__init__(name, code, **kwargs)
        self.code_variable = code_variable or None
        self.message_variable = message_variable or None

    def catch(self, my_task, event=None):
        payload = dict(event.payload or {}) if event is not None else {}
        if self.code_variable:
            payload[self.code_variable] = getattr(event.event_definition, "code", None) if event else None
        if self.message_variable:
            payload[self.message_variable] = getattr(event, "message", None)
        if event is not None:
            event.payload = payload
        super().catch(my_task, event)


class BpmnErrorEvent(BpmnEvent):
    """A BPMN error thrown with a message (Camunda's ``handleBpmnError(code, message)``)."""

    def __init__(self, event_definition, message: str | None = None, payload=None, target=None):
        super().__init__(event_definition, payload=payload, target=target)
        self.message = message
