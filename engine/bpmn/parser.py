"""The process parser: SpiffWorkflow's Camunda parser, taught the Camunda attributes our process uses.

It reads ``camunda:type="external"``/``camunda:topic`` on service tasks, ``candidateGroups``,
``candidateUsers``, ``assignee`` and ``dueDate`` on user tasks, ``camunda:properties`` on end events, and
``camunda:errorCodeVariable``/``errorMessageVariable`` on error events.
Files are parsed with :func:`engine.safexml.parse_xml` (no entities, no network).
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import first, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaEventDefinitionParser,
    CamundaIntermediateCatchEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, CamundaTaskParser, UserTaskParser

from engine.safexml import parse_xml

from .specs import CamundaErrorEventDefinition, ExternalTask, OutcomeEndEvent, ReviewTask
from .timers import ClockCycle, ClockDuration, ClockTimeDate


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class ExternalTaskParser(CamundaTaskParser):
    def create_task(self):
        kind = self.attribute("type", "camunda")
        topic = self.attribute("topic", "camunda")
        if kind != "external" or not topic:
            self.raise_validation_exception('a service task must be camunda:type="external" with a camunda:topic')
        return self.spec_class(self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes)


class ReviewTaskParser(UserTaskParser):
    def create_task(self):
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            form=self.get_form(),
            candidate_groups=_split(self.attribute("candidateGroups", "camunda")),
            candidate_users=_split(self.attribute("candidateUsers", "camunda")),
            assignee=self.attribute("assignee", "camunda"),
            due_date=self.attribute("dueDate", "camunda"),
            **self.bpmn_attributes,
        )


class _EventParserMixin(CamundaEventDefinitionParser):
    """Events keep their ``camunda:properties``; timers run on the service clock (date or duration)."""

    parse_extensions = CamundaTaskParser.parse_extensions

    def parse_timer_event(self, event):
        name = self.node.get("name", self.node.get("id"))
        description = self.get_event_description(event)
        time_date = first(self.xpath(".//bpmn:timeDate"))
        if time_date is not None:
            return ClockTimeDate(name, (time_date.text or "").strip(), description=description)
        time_duration = first(self.xpath(".//bpmn:timeDuration"))
        if time_duration is not None:
            return ClockDuration(name, (time_duration.text or "").strip(), description=description)
        time_cycle = first(self.xpath(".//bpmn:timeCycle"))
        if time_cycle is not None:
            return ClockCycle(name, (time_cycle.text or "").strip(), description=description)
        raise ValidationException(
            "a timer needs a timeDate, timeDuration or timeCycle", node=self.node, file_name=self.filename
        )

    def parse_error_event(self, error_event):
        """An error event matched by its ``bpmn:error``'s ``errorCode`` (none: every error), with the variables
        Camunda Modeler offers for the caught code and message."""
        found = super().parse_error_event(error_event)
        return CamundaErrorEventDefinition(
            found.name or found.code or error_event.get("errorRef"),  # the key its caught payload is kept under
            found.code or None,
            code_variable=error_event.get(f"{{{CAMUNDA_MODEL_NS}}}errorCodeVariable"),
            message_variable=error_event.get(f"{{{CAMUNDA_MODEL_NS}}}errorMessageVariable"),
            description=found.description,
        )


class OutcomeEndEventParser(_EventParserMixin, CamundaEndEventParser):
    pass


class StartEventParser(_EventParserMixin, CamundaStartEventParser):
    pass


class CatchEventParser(_EventParserMixin, CamundaIntermediateCatchEventParser):
    pass


class BoundaryEventParser(_EventParserMixin, CamundaBoundaryEventParser):
    pass


class BpmnParser(CamundaParser):
    """Camunda 7's BPMN with our specs (external tasks, reviews, outcome end events, timers on the service
    clock); decision tables are plugged in by :class:`engine.business_rules.ProcessParser`."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTask),
        full_tag("userTask"): (ReviewTaskParser, ReviewTask),
        full_tag("endEvent"): (OutcomeEndEventParser, OutcomeEndEvent),
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (CatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
    }

    def add_bpmn_bytes(self, content: bytes, filename: str) -> None:
        self.add_bpmn_xml(parse_xml(content), filename)
