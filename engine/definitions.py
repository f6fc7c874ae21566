"""Deployed process definitions: checking files before they are stored, and the parsed-spec cache.

Every file is parsed safely; every process is parsed by SpiffWorkflow (with our parser extension); every
service-task topic must have a handler, every user task's form key a form, every expression must be in
the JUEL dialect, every DMN cell in FEEL (``engine.dmn``); every element id is an XML NCName and every
diagram shape can be drawn (``engine.diagram``). A deployment is stored only when nothing is wrong. Each
deployed version is parsed once per process and cached (a stored version is loaded without the checks
that only new deployments pass).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Iterable

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.expressions import ExpressionError

from .bpmn.script_engine import compile_juel, script_expression
from .bpmn.specs import ExternalTask, ReviewTask
from .business_rules import ProcessParser
from .diagram import diagram_problems
from .dmn import DecisionSet
from .errors import Problem
from .safexml import UnsafeXml, is_ncname, parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass
class ParsedDeployment:
    """The processes of a set of files: key → (spec, subprocess specs), and each process's name/file; and
    the decisions of its DMN files by id (what business rule tasks and the policy check evaluate)."""

    specs: dict[str, tuple] = field(default_factory=dict)
    names: dict[str, str | None] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    decisions: DecisionSet = field(default_factory=DecisionSet)


@dataclass(frozen=True)
class Checks:
    """What deployed files may refer to: handler topics, form keys and user groups."""

    topics: frozenset[str]
    form_keys: frozenset[str]
    groups: frozenset[str]


def _line_of(roots: dict[str, etree._Element], filename: str, element_id: str | None) -> int | None:
    root = roots.get(filename)
    if root is None or not element_id:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def parse_deployment(files: Iterable[tuple[str, bytes]], checks: Checks | None = None) -> ParsedDeployment:
    """Parse ``files`` (name, bytes); raise :class:`InvalidDeployment` listing every problem found."""
    from .errors import InvalidDeployment

    problems: list[Problem] = []
    roots: dict[str, etree._Element] = {}
    parser = ProcessParser()
    files = list(files)
    if not files:
        raise InvalidDeployment([Problem(file="", message="no files uploaded")])
    for filename, content in files:
        suffix = PurePath(filename).suffix.lower()
        if suffix not in (".bpmn", ".dmn"):
            problems.append(Problem(file=filename, message="only .bpmn and .dmn files can be deployed"))
            continue
        try:
            root = parse_xml(content)
        except UnsafeXml as err:
            problems.append(Problem(file=filename, line=err.line, message=str(err)))
            continue
        roots[filename] = root
        if checks is not None:  # new deployments only: a version stored before these checks still loads
            problems.extend(_id_problems(root, filename))
            if suffix == ".bpmn":
                problems.extend(diagram_problems(root, filename))
        if suffix == ".bpmn":
            problems.extend(_script_problems(root, filename))
            problems.extend(_condition_problems(root, filename))
            dangling = _dangling_flows(root, filename)
            if dangling:
                problems.extend(dangling)
                continue
        try:
            if suffix == ".bpmn":
                parser.add_bpmn_xml(root, filename)
            else:
                parser.add_dmn_xml(root, filename)
        except (ValidationException, SpiffWorkflowException, KeyError, ValueError) as err:
            problems.append(_problem_from(err, filename, roots))
    problems.extend(parser.decisions.problems)  # DMN: every cell compiled as FEEL (engine.dmn.parser)

    parsed = ParsedDeployment(decisions=parser.decisions)
    for filename, root in roots.items():
        if not filename.lower().endswith(".bpmn"):
            continue
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            if process.get("isExecutable", "true") != "true":
                continue
            key = process.get("id")
            try:
                spec = parser.get_spec(key)
                subprocess_specs = parser.get_subprocess_specs(key)
            except (ValidationException, SpiffWorkflowException, KeyError, ValueError) as err:
                problems.append(_problem_from(err, filename, roots))
                continue
            parsed.specs[key] = (spec, subprocess_specs)
            parsed.names[key] = process.get("name")
            parsed.files[key] = filename
            if checks is not None:
                problems.extend(_check_spec(spec, filename, roots, checks))
    if not parsed.specs and not problems:
        problems.append(Problem(file=files[0][0], message="no executable process in the deployment"))
    if problems:
        raise InvalidDeployment(problems)
    return parsed


def _id_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Every ``id`` is an XML NCName (``xsd:ID``, as Camunda Modeler writes them): an id holding a quote, a
    space or ``<`` is text an analyst could not have meant, and goes into markup we generate."""
    return [
        Problem(
            file=filename,
            line=element.sourceline,
            element=element.get("id"),
            message=f"the id {element.get('id')!r} is not an XML name (NCName): a letter or _ first, then "
            f"letters, digits, -, . or _ (no spaces, quotes or other signs)",
        )
        for element in root.iter(etree.Element)
        if element.get("id") is not None and not is_ncname(element.get("id"))
    ]


def _dangling_flows(root: etree._Element, filename: str) -> list[Problem]:
    """Sequence flows whose source or target is not a node of the same process."""
    problems = []
    for process in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
        ids = {child.get("id") for child in process if child.get("id")}
        for flow in process.findall(f"{{{BPMN_NS}}}sequenceFlow"):
            for end in ("sourceRef", "targetRef"):
                ref = flow.get(end)
                if ref not in ids:
                    problems.append(
                        Problem(
                            file=filename,
                            line=flow.sourceline,
                            element=flow.get("id"),
                            message=f"sequence flow {flow.get('id')!r} has {end}={ref!r}, which is no element "
                            f"of process {process.get('id')!r}",
                        )
                    )
    return problems


JUEL_LANGUAGES = ("", "juel")  # scriptFormat / language values that mean the expression language we run


def _script_problems(root: etree._Element, filename: str) -> list[Problem]:
    """Every script task, connected or not, may hold only one expression of the restricted dialect, and
    say it is JUEL (or nothing): a ``javascript`` or ``groovy`` script would otherwise run as JUEL."""
    problems = []
    for task in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        script = task.find(f"{{{BPMN_NS}}}script")
        text = (script.text or "").strip() if script is not None else ""
        script_format = (task.get("scriptFormat") or "").strip()
        if script_format.lower() not in JUEL_LANGUAGES:
            problems.append(
                Problem(
                    file=filename,
                    line=task.sourceline,
                    element=task.get("id"),
                    expression=text,
                    message=f"scriptFormat {script_format!r} is not supported: a script task "
                    f'holds one JUEL expression (scriptFormat "juel" or none)',
                )
            )
            continue
        try:
            compile_juel(script_expression(text))
        except ExpressionError as err:
            problems.append(
                Problem(
                    file=filename,
                    line=task.sourceline,
                    element=task.get("id"),
                    expression=text,
                    message=f"script not allowed: {err}",
                )
            )
    return problems


def _condition_problems(root: etree._Element, filename: str) -> list[Problem]:
    """A sequence flow's condition is one ``${...}`` expression or the literal ``true`` / ``false``: plain
    text (Python pasted in, a typo) would otherwise be a non-empty string, which counts as true."""
    problems = []
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
        if condition is None:
            continue
        text = (condition.text or "").strip()
        language = (condition.get("language") or "").strip()

        def problem(message: str, flow=flow, condition=condition, text=text) -> None:
            problems.append(
                Problem(
                    file=filename,
                    line=condition.sourceline or flow.sourceline,
                    element=flow.get("id"),
                    expression=text,
                    message=message,
                )
            )

        if language.lower() not in JUEL_LANGUAGES:
            problem(f"condition language {language!r} is not supported: conditions are JUEL expressions")
        elif text in ("true", "false"):
            continue
        elif not text:
            problem("the condition is empty: write a ${...} expression, or remove it")
        else:
            try:
                compiled = compile_juel(text)
            except ExpressionError as err:
                problem(f"condition not allowed: {err}")
                continue
            if compiled.is_literal or len(compiled.tree.parts) != 1:
                problem(
                    "a condition must be one ${...} expression (or true / false), not text: text would "
                    "always count as true"
                )
    return problems


def _problem_from(err: Exception, filename: str, roots) -> Problem:
    element = getattr(err, "id", None) or None
    line = getattr(err, "line_number", None) or _line_of(roots, getattr(err, "file_name", "") or filename, element)
    message = str(err).splitlines()[0] if str(err) else err.__class__.__name__
    return Problem(file=getattr(err, "file_name", "") or filename, line=line or None, element=element, message=message)


def _expressions(spec) -> Iterable[tuple[str, str]]:
    """(element id, expression) for every expression a task spec carries (conditions are checked on their
    sequence flows, in the XML: :func:`_condition_problems`)."""
    if isinstance(spec, ReviewTask):
        for text in (spec.due_date, spec.assignee):
            if text:
                yield spec.bpmn_id, text
    event_definition = getattr(spec, "event_definition", None)
    expression = getattr(event_definition, "expression", None)
    if isinstance(expression, str):
        yield spec.bpmn_id, expression


def _check_spec(spec, filename: str, roots, checks: Checks) -> list[Problem]:
    problems = []

    def problem(element: str, message: str, expression: str | None = None) -> None:
        problems.append(
            Problem(
                file=filename,
                line=_line_of(roots, filename, element),
                element=element,
                message=message,
                expression=expression,
            )
        )

    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        if isinstance(task_spec, ExternalTask) and task_spec.topic not in checks.topics:
            problem(bpmn_id, f"no handler for topic {task_spec.topic!r}")
        if isinstance(task_spec, ReviewTask):
            if not task_spec.form.key:
                problem(bpmn_id, "user task has no camunda:formKey")
            elif task_spec.form.key not in checks.form_keys:
                problem(bpmn_id, f"no form for form key {task_spec.form.key!r}")
            if len(task_spec.candidate_groups) != 1:
                problem(bpmn_id, "user task must name exactly one camunda:candidateGroups")
            elif task_spec.candidate_groups[0] not in checks.groups:
                problem(bpmn_id, f"unknown candidate group {task_spec.candidate_groups[0]!r}")
        if (
            isinstance(task_spec, BoundaryEvent)
            and isinstance(task_spec.event_definition, ErrorEventDefinition)
            and not task_spec.cancel_activity
        ):
            problem(bpmn_id, 'an error boundary event interrupts its activity: cancelActivity="false" is not allowed')
        for element, text in _expressions(task_spec):
            try:
                compile_juel(text)
            except ExpressionError as err:
                problem(element, f"expression not allowed: {err}", expression=text)
    return problems


def fingerprint(file_digests: Iterable[tuple[str, str]]) -> str:
    """What a deployment's files are, from their names and SHA-256 digests: the spec cache's key."""
    text = "\n".join(f"{name}\0{digest}" for name, digest in sorted(file_digests))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SpecCache:
    """Parsed specs by the content of a deployment's files (:func:`fingerprint`): each version is parsed once
    per process, and contexts on other databases with the same files (the tests') share it."""

    def __init__(self) -> None:
        self._parsed: dict[str, ParsedDeployment] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load_files) -> ParsedDeployment:
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = parse_deployment(load_files())
            with self._lock:
                self._parsed[key] = parsed
        return parsed

    def put(self, key: str, parsed: ParsedDeployment) -> None:
        with self._lock:
            self._parsed[key] = parsed
