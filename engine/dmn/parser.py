"""Reading DMN files as Camunda Modeler 5 writes them (DMN 1.3; 1.1 and 1.2 namespaces accepted too).

Every ``<decision>`` with a ``<decisionTable>`` or a ``<literalExpression>`` (FEEL, named by the decision's
``<variable>``) becomes a :class:`~engine.dmn.model.Decision`; each cell or expression is compiled ONCE with the FEEL
compiler (input entries as unary tests, input expressions and output entries
as expressions). Nothing stops at the first mistake: every unparseable cell, unknown hit policy or
typeRef, missing output name... is reported as a :class:`~engine.errors.Problem` with the file, the XML
line, the element (rule id for a cell, else the decision/input/output id), the cell text, and a message
naming the decision. A decision with a problem is kept but marked ``broken`` (never evaluated).
Files are read with :func:`engine.safexml.parse_xml` (no DTD, no entities).
"""

from __future__ import annotations

from lxml import etree

from engine.errors import Problem
from engine.expressions import ExpressionError, feel
from engine.safexml import UnsafeXml, parse_xml

from .model import (
    AGGREGATIONS,
    HIT_POLICIES,
    Decision,
    DecisionSet,
    DecisionTable,
    Input,
    LiteralExpression,
    Output,
    Rule,
)
from .types import CONVERTERS

DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # DMN 1.3 (Camunda Modeler 5)
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # DMN 1.2
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # DMN 1.1
)
CAMUNDA_NS = "http://camunda.org/schema/1.0/dmn"


def _is_feel(language: str | None) -> bool:
    return language is None or language.strip().lower() == "feel" or "feel" in language.lower().split("/")


def parse_dmn(source: bytes | etree._Element, filename: str, into: DecisionSet | None = None) -> DecisionSet:
    """Read one DMN file (bytes, or a root from ``parse_xml``) into ``into`` (a new set if None)."""
    decisions = DecisionSet() if into is None else into
    if isinstance(source, (bytes, bytearray)):
        try:
            source = parse_xml(bytes(source))
        except UnsafeXml as err:
            decisions.report(Problem(file=filename, line=err.line, message=str(err)))
            return decisions
    _FileReader(source, filename, decisions).read()
    return decisions


class _FileReader:
    def __init__(self, root: etree._Element, filename: str, decisions: DecisionSet) -> None:
        self.root = root
        self.file = filename
        self.decisions = decisions
        self.ns = etree.QName(root).namespace
        self.decision_id = ""
        self.broken = False

    # -- helpers ---------------------------------------------------------------------------------------

    def _tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def _children(self, element, name: str) -> list:
        return element.findall(self._tag(name))

    def _problem(
        self,
        element,
        message: str,
        element_id: str | None = None,
        expression: str | None = None,
        line: int | None = None,
    ) -> None:
        self.broken = True
        where = f"decision {self.decision_id!r}: " if self.decision_id else ""
        self.decisions.report(
            Problem(
                file=self.file,
                line=line or element.sourceline,
                element=element_id or element.get("id"),
                message=where + message,
                expression=expression,
            )
        )

    def _text(self, element) -> tuple[str, int | None]:
        """The ``<text>`` child of a cell, and its line."""
        text = element.find(self._tag("text"))
        if text is None:
            return "", element.sourceline
        return (text.text or "").strip(), text.sourceline

    def _check_language(self, element, element_id: str | None) -> bool:
        language = element.get("expressionLanguage")
        if _is_feel(language):
            return True
        self._problem(element, f"expression language {language!r} is not supported (only FEEL)", element_id)
        return False

    def _type_ref(self, element, element_id: str) -> str | None:
        type_ref = element.get("typeRef")
        if type_ref is None or not type_ref.strip():
            return None
        if type_ref.strip().lower() not in CONVERTERS:
            self._problem(element, f"unknown typeRef {type_ref!r} (use one of {', '.join(CONVERTERS)})", element_id)
            return None
        return type_ref.strip().lower()

    # -- reading ---------------------------------------------------------------------------------------

    def read(self) -> None:
        if self.ns not in DMN_NAMESPACES or etree.QName(self.root).localname != "definitions":
            self._problem(self.root, "not a DMN 1.1/1.2/1.3 <definitions> document")
            return
        if not self._check_language(self.root, None):
            return
        for element in self._children(self.root, "decision"):
            decision = self._decision(element)
            if decision is not None:
                self.decisions.add(decision)

    def _decision(self, element) -> Decision | None:
        self.decision_id = ""
        self.broken = False
        decision_id = element.get("id")
        if not decision_id:
            self._problem(element, "a decision has no id")
            return None
        self.decision_id = decision_id
        required = tuple(
            (ref.get("href") or "").rpartition("#")[2]
            for requirement in self._children(element, "informationRequirement")
            for ref in self._children(requirement, "requiredDecision")
        )
        table_element = element.find(self._tag("decisionTable"))
        literal_element = element.find(self._tag("literalExpression"))
        table = literal = None
        if table_element is not None:
            table = self._table(table_element)
        elif literal_element is not None:
            literal = self._literal(element, literal_element)
        else:
            self._problem(
                element,
                "only decision tables and literal expressions are supported "
                "(no <decisionTable> or <literalExpression> found)",
                decision_id,
            )
        return Decision(
            id=decision_id,
            name=element.get("name"),
            file=self.file,
            line=element.sourceline,
            table=table,
            required=required,
            broken=self.broken,
            literal=literal,
        )

    def _literal(self, decision, element) -> LiteralExpression:
        """``<variable name typeRef>`` + ``<literalExpression><text>FEEL</text>``: the value is the result."""
        variable = decision.find(self._tag("variable"))
        name = (variable.get("name") or "").strip() if variable is not None else ""
        type_ref = self._type_ref(variable, self.decision_id) if variable is not None else None
        if not name:
            self._problem(
                decision,
                "a literal expression decision needs a <variable name=...> naming its result",
                self.decision_id,
            )
        self._check_language(element, self.decision_id)
        text, line = self._text(element)
        compiled = None
        if not text:
            self._problem(element, "the literal expression is empty", self.decision_id, line=line)
        else:
            compiled = self._compile(feel.compile_expression, text, line, self.decision_id, "literal expression")
        return LiteralExpression(
            id=element.get("id"), variable=name or self.decision_id, type_ref=type_ref, text=text, expression=compiled
        )

    def _table(self, element) -> DecisionTable:
        hit_policy = (element.get("hitPolicy") or "UNIQUE").strip().upper().replace("_", " ")
        aggregation = element.get("aggregation")
        aggregation = aggregation.strip().upper() if aggregation else None
        if hit_policy not in HIT_POLICIES:
            self._problem(element, f"unknown hit policy {hit_policy!r}", self.decision_id)
        if aggregation is not None and aggregation not in AGGREGATIONS:
            self._problem(
                element, f"unknown aggregation {aggregation!r} (use SUM, MIN, MAX or COUNT)", self.decision_id
            )
        elif aggregation is not None and hit_policy != "COLLECT":
            self._problem(element, f"aggregation {aggregation} needs hit policy COLLECT", self.decision_id)
        inputs = tuple(self._input(i) for i in self._children(element, "input"))
        outputs = tuple(self._output(o) for o in self._children(element, "output"))
        if not outputs:
            self._problem(element, "the decision table has no output", self.decision_id)
        names = [o.name for o in outputs]
        for name in {n for n in names if names.count(n) > 1}:
            self._problem(element, f"output name {name!r} is used twice", self.decision_id)
        if aggregation is not None and len(outputs) > 1:
            self._problem(element, f"aggregation {aggregation} needs exactly one output", self.decision_id)
        listed = any(
            self._text(v)[0] for o in self._children(element, "output") for v in self._children(o, "outputValues")
        )
        if hit_policy in ("PRIORITY", "OUTPUT ORDER") and not listed:
            self._problem(element, f"hit policy {hit_policy} needs <outputValues> on an output", self.decision_id)
        rules = tuple(self._rule(r, inputs, outputs) for r in self._children(element, "rule"))
        return DecisionTable(
            id=element.get("id"),
            hit_policy=hit_policy,
            aggregation=aggregation,
            inputs=inputs,
            outputs=outputs,
            rules=rules,
        )

    def _input(self, element) -> Input:
        input_id = element.get("id") or ""
        label = element.get("label")
        variable = element.get(f"{{{CAMUNDA_NS}}}inputVariable") or "cellInput"
        expression_element = element.find(self._tag("inputExpression"))
        text, line, compiled, type_ref = "", element.sourceline, None, None
        if expression_element is not None:
            text, line = self._text(expression_element)
            type_ref = self._type_ref(expression_element, input_id)
            self._check_language(expression_element, input_id)
        if not text:
            self._problem(element, f"input {label or input_id!r} has no input expression", input_id, line=line)
        else:
            compiled = self._compile(
                feel.compile_expression, text, line, input_id, f"input expression of {label or input_id!r}"
            )
        return Input(id=input_id, label=label, text=text, expression=compiled, type_ref=type_ref, variable=variable)

    def _output(self, element) -> Output:
        output_id = element.get("id") or ""
        name = (element.get("name") or "").strip()
        if not name:
            self._problem(element, f"output {element.get('label') or output_id!r} has no name", output_id)
        values = None
        values_element = element.find(self._tag("outputValues"))
        if values_element is not None:
            text, line = self._text(values_element)
            if text:
                values = self._output_values(text, line, output_id)
        return Output(
            id=output_id,
            label=element.get("label"),
            name=name or output_id,
            type_ref=self._type_ref(element, output_id),
            values=values,
        )

    def _output_values(self, text: str, line, output_id: str) -> tuple | None:
        """``"high","low"`` → ("high", "low"): a list of literals, in priority order."""
        try:
            values = feel.compile_expression(f"[{text}]").evaluate({})
        except ExpressionError:
            values = None
        if not isinstance(values, list) or any(isinstance(v, (list, dict)) or v is None for v in values):
            self.broken = True
            self.decisions.report(
                Problem(
                    file=self.file,
                    line=line,
                    element=output_id,
                    expression=text,
                    message=f"decision {self.decision_id!r}: output values must be a comma-separated list of literals",
                )
            )
            return None
        return tuple(values)

    def _rule(self, element, inputs: tuple[Input, ...], outputs: tuple[Output, ...]) -> Rule:
        rule_id = element.get("id") or f"(rule at line {element.sourceline})"
        input_entries = self._children(element, "inputEntry")
        output_entries = self._children(element, "outputEntry")
        if len(input_entries) != len(inputs) or len(output_entries) != len(outputs):
            self._problem(
                element,
                f"rule {rule_id!r} has {len(input_entries)} input and {len(output_entries)} "
                f"output entries; the table has {len(inputs)} inputs and {len(outputs)} outputs",
                rule_id,
            )
        tests = []
        for entry, column in zip(input_entries, inputs, strict=False):  # a count that differs: reported above
            text, line = self._text(entry)
            self._check_language(entry, rule_id)
            tests.append(
                self._compile(
                    feel.compile_unary_tests, text, line, rule_id, f"rule {rule_id!r}, input {column.title!r}"
                )
            )
        conclusions = []
        for entry, output in zip(output_entries, outputs, strict=False):
            text, line = self._text(entry)
            self._check_language(entry, rule_id)
            conclusions.append(
                None
                if not text
                else self._compile(
                    feel.compile_expression, text, line, rule_id, f"rule {rule_id!r}, output {output.name!r}"
                )
            )
        return Rule(id=rule_id, line=element.sourceline, tests=tuple(tests), outputs=tuple(conclusions))

    def _compile(self, compiler, text: str, line: int | None, element_id: str, where: str):
        try:
            return compiler(text)
        except ExpressionError as err:
            self.broken = True
            self.decisions.report(
                Problem(
                    file=self.file,
                    line=line,
                    element=element_id,
                    expression=text,
                    message=f"decision {self.decision_id!r}, {where}: not valid FEEL: {err.message}",
                )
            )
            return None
