"""``bpmn:businessRuleTask`` with ``camunda:decisionRef``: where BPMN meets DMN. Neither :mod:`engine.bpmn`
nor :mod:`engine.dmn` knows the other; this module joins them: the spec, task parser, parser mixin and
converter below, the :class:`ProcessParser` every deployment is parsed with (BPMN and DMN files) and the
:class:`StateSerializer` that stores instances with business rule tasks.

- ``DecisionTask`` evaluates its decision over the task data (``today()``/``now()`` from the script engine's
  service clock) and stores the result, mapped by ``camunda:mapDecisionResult`` (default ``resultList``),
  in the task data under ``camunda:resultVariable`` (required). Dates and durations in the result are
  stored as ISO 8601 text, like every other date in our variables. A :class:`DecisionError` surfaces as a
  ``WorkflowTaskException`` naming the task and the decision.
- ``DecisionParserMixin`` makes a SpiffWorkflow parser read DMN files with :mod:`engine.dmn.parser` (FEEL)
  instead of SpiffWorkflow's DMNEngine (Python ``eval``): ``parser.decisions`` holds every decision of
  every DMN file added, by id; a ``decisionRef`` resolves across all of them; an unknown one is a
  ``ValidationException`` on the task (file, line, element id).
- ``DecisionTaskConverter`` stores only the decision ref, result variable and mapping, never the tables:
  specs come from the per-deployment cache, which keeps the parsed decisions; ``link_decisions`` re-links
  specs restored from a full serialization.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

from engine.bpmn.parser import BpmnParser
from engine.bpmn.serializer import StateSerializer as BpmnStateSerializer
from engine.clock import CHINA
from engine.dmn.evaluate import RESULT_MAPPINGS, DecisionError, evaluate_decision
from engine.dmn.model import DecisionSet
from engine.dmn.parser import parse_dmn
from engine.expressions import YearsMonths
from engine.expressions.feel_types import format_value
from engine.safexml import parse_xml

CAMUNDA_BPMN_NS = "http://camunda.org/schema/1.0/bpmn"
_BINDINGS = (None, "latest", "deployment")


class DecisionTask(BpmnSpecMixin):
    """A business rule task that evaluates the decision ``decision_ref`` of its deployment."""

    def __init__(
        self,
        wf_spec,
        bpmn_id,
        decision_ref: str,
        result_variable: str,
        map_decision_result: str | None = None,
        decisions=None,
        **kwargs,
    ):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_ref = decision_ref
        self.result_variable = result_variable
        self.map_decision_result = map_decision_result or "resultList"
        self.decisions = decisions

    @property
    def spec_type(self):
        return "Business Rule Task"

    def _run_hook(self, my_task):
        if self.decisions is None:
            raise WorkflowTaskException(f"decision {self.decision_ref!r} is not linked to its deployment", task=my_task)
        clock = getattr(my_task.workflow.script_engine, "clock", None)
        now = clock.now() if clock is not None else datetime.now(CHINA)
        try:
            result = evaluate_decision(self.decisions, self.decision_ref, my_task.data, now=now)
            value = result.mapped(self.map_decision_result)
        except DecisionError as err:
            raise WorkflowTaskException(
                f"business rule task {self.bpmn_id!r}: {err}", task=my_task, exception=err
            ) from err
        my_task.data[self.result_variable] = _as_variable(value)
        return super()._run_hook(my_task)


def as_variable(value: Any) -> Any:
    """A decision's result as a variable: temporal values as ISO 8601 text (our variables hold dates as text),
    lists and dicts recursively."""
    return _as_variable(value)


def _as_variable(value: Any) -> Any:
    """Temporal values as ISO 8601 text (our variables hold dates as text), lists and dicts recursively."""
    if isinstance(value, (date, timedelta, YearsMonths)):
        return format_value(value)
    if isinstance(value, list):
        return [_as_variable(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_variable(v) for k, v in value.items()}
    return value


class DecisionTaskParser(CamundaTaskParser):
    """Reads ``camunda:decisionRef``, ``resultVariable`` and ``mapDecisionResult``."""

    def create_task(self):
        decision_ref = self.get_decision_ref(self.node)
        result_variable = self.attribute("resultVariable", "camunda")
        mapping = self.attribute("mapDecisionResult", "camunda")
        binding = self.attribute("decisionRefBinding", "camunda")
        decisions = getattr(self.process_parser.parser, "decisions", None)
        if not decision_ref:
            self.raise_validation_exception("a business rule task needs camunda:decisionRef")
        if "${" in decision_ref or "#{" in decision_ref:
            self.raise_validation_exception("camunda:decisionRef must be a decision id, not an expression")
        if binding not in _BINDINGS:
            self.raise_validation_exception(
                f"camunda:decisionRefBinding {binding!r} is not supported: decisions resolve within the deployment"
            )
        if not result_variable:
            self.raise_validation_exception("a business rule task needs camunda:resultVariable")
        if mapping is not None and mapping not in RESULT_MAPPINGS:
            self.raise_validation_exception(
                f"unknown camunda:mapDecisionResult {mapping!r} (use one of {', '.join(RESULT_MAPPINGS)})"
            )
        if decisions is None or decision_ref not in decisions:
            known = ", ".join(sorted(decisions or ())) or "none"
            self.raise_validation_exception(
                f"unknown decision {decision_ref!r} in camunda:decisionRef (decisions in the deployment: {known})"
            )
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            decision_ref=decision_ref,
            result_variable=result_variable,
            map_decision_result=mapping,
            decisions=decisions,
            **self.bpmn_attributes,
        )

    @staticmethod
    def get_decision_ref(node) -> str:
        return node.get(f"{{{CAMUNDA_BPMN_NS}}}decisionRef") or ""


class DecisionParserMixin:
    """For a ``BpmnDmnParser`` subclass: DMN files become ``self.decisions`` (a :class:`DecisionSet`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = DecisionSet()

    def add_dmn_xml(self, node, filename=None):
        parse_dmn(node, filename or "", into=self.decisions)

    def get_engine(self, decision_ref, node):
        raise ValidationException("SpiffWorkflow's DMN engine (Python eval) is not used", node=node)


class DecisionTaskConverter(TaskSpecConverter):
    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct.update(
            decision_ref=spec.decision_ref,
            result_variable=spec.result_variable,
            map_decision_result=spec.map_decision_result,
        )
        return dct

    def from_dict(self, dct):
        return self.task_spec_from_dict(dct)


def link_decisions(specs, decisions) -> None:
    """Point every ``DecisionTask`` of ``specs`` (workflow specs) at ``decisions`` after a full restore."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, DecisionTask):
                task_spec.decisions = decisions


class ProcessParser(DecisionParserMixin, BpmnParser):
    """BPMN files with our specs, DMN files through ``engine.dmn`` (FEEL): ``self.decisions`` holds every
    decision added; business rule tasks evaluate them."""

    OVERRIDE_PARSER_CLASSES = {
        **BpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
    }

    def add_dmn_bytes(self, content: bytes, filename: str) -> None:
        self.add_dmn_xml(parse_xml(content), filename)


class StateSerializer(BpmnStateSerializer):
    """The instance state serializer, with business rule tasks."""

    def __init__(self, *, library_format: bool = False) -> None:
        super().__init__({DecisionTask: DecisionTaskConverter}, library_format=library_format)


class LibraryStateSerializer(StateSerializer):
    """The state in the library's own format, as SpiffWorkflow alone writes it (the benchmark's floor)."""

    def __init__(self) -> None:
        super().__init__(library_format=True)
