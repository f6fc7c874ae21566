"""Reading DMN files as Camunda Modeler 5 writes them; every problem reported with file, line, element and
cell text; Python in a cell refused at parse time; cells compiled once."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.dmn import DecisionError, evaluate_decision, parse_dmn
from engine.expressions import feel

from .test_dmn_evaluate import NOW, dmn_file, dmn_table

DATA = Path(__file__).resolve().parent / "data"
ENROLMENT = (DATA / "dmn_enrolment.dmn").read_bytes()


def line_of(content: bytes, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(content.decode().splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def test_modeler_file_parses_into_decisions():
    decisions = parse_dmn(ENROLMENT, "dmn_enrolment.dmn")
    assert decisions.problems == []
    assert sorted(decisions) == ["enrolment_options", "hukou_time_limit", "late_in_year"]
    options = decisions["enrolment_options"]
    assert options.name == "参保年度选项" and options.file == "dmn_enrolment.dmn"
    assert options.line == line_of(ENROLMENT, '<decision id="enrolment_options"')
    assert options.required == ("late_in_year",)
    table = options.table
    assert (table.hit_policy, table.aggregation, table.multi_hit) == ("COLLECT", None, True)
    assert [(i.text, i.type_ref, i.label) for i in table.inputs] == [
        ("region", "string", "地区"),
        ("late", "boolean", "第四季度"),
    ]
    assert [(o.name, o.type_ref) for o in table.outputs] == [("option", "string")]
    assert [r.id for r in table.rules] == ["Rule_current", "Rule_next", "Rule_both"]
    assert table.rules[0].tests[0].is_any and not table.rules[1].tests[0].is_any
    limit = decisions["hukou_time_limit"].table
    assert limit.hit_policy == "UNIQUE" and limit.outputs[0].type_ref == "integer"


@pytest.mark.parametrize(
    "namespace",
    [
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    ],
)
def test_dmn_1_1_to_1_3_namespaces(namespace):
    table = dmn_table("d", inputs=[("x", "integer")], outputs=[("out", None)], rules=[(("1",), ('"one"',))])
    decisions = parse_dmn(dmn_file(table, namespace=namespace), "t.dmn")
    assert decisions.problems == []
    assert evaluate_decision(decisions, "d", {"x": "1"}, now=NOW).single_entry() == "one"


def test_decisions_of_several_files_resolve_each_other():
    decisions = parse_dmn(
        dmn_file(dmn_table("base", inputs=[("1", None)], outputs=[("b", None)], rules=[(("-",), ("2",))])), "a.dmn"
    )
    parse_dmn(
        dmn_file(
            dmn_table(
                "top", required=["base"], inputs=[("b", None)], outputs=[("t", None)], rules=[(("-",), ("b * 10",))]
            )
        ),
        "b.dmn",
        into=decisions,
    )
    assert decisions.problems == []
    assert evaluate_decision(decisions, "top", {}, now=NOW).single_entry() == 20


def test_each_cell_is_compiled_once_at_parse_time(monkeypatch):
    decisions = parse_dmn(ENROLMENT, "dmn_enrolment.dmn")

    def refuse(text):
        raise AssertionError(f"compiled again at evaluation: {text!r}")

    monkeypatch.setattr(feel, "compile_unary_tests", refuse)
    monkeypatch.setattr(feel, "compile_expression", refuse)
    for _ in range(3):
        result = evaluate_decision(
            decisions, "enrolment_options", {"region": "gansu", "birth_date": "2026-12-01"}, now=NOW
        )
        assert result.collect_entries() == ["current", "next", "current_and_next"]


# -- problems -------------------------------------------------------------------------------------------


def one_cell(input_entry="-", output_entry='"x"', input_expression="x"):
    return dmn_table(
        "d", inputs=[(input_expression, None)], outputs=[("out", None)], rules=[((input_entry,), (output_entry,))]
    )


PYTHON = [
    "__import__('os')",
    "().__class__",
    "lambda: 1",
    "open('/etc/passwd')",
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    'open("/etc/passwd")',
    "x.__class__",
    'exec("print(1)")',
    "[c for c in ().__class__.__bases__]",
]


@pytest.mark.parametrize("text", PYTHON)
@pytest.mark.parametrize("cell", ["input_entry", "output_entry", "input_expression"])
def test_python_in_a_cell_is_refused_with_its_line(text, cell):
    content = dmn_file(one_cell(**{cell: text}))
    decisions = parse_dmn(content, "evil.dmn")
    (problem,) = decisions.problems
    assert problem.file == "evil.dmn"
    assert problem.expression == text
    assert problem.line == line_of(content, f"<text>{text.replace('&', '&amp;').replace('<', '&lt;')}</text>")
    assert problem.element == ("d_in0" if cell == "input_expression" else "d_r1")
    assert "decision 'd'" in problem.message and "not valid FEEL" in problem.message
    assert decisions["d"].broken
    with pytest.raises(DecisionError, match="has problems"):
        evaluate_decision(decisions, "d", {"x": 1}, now=NOW)


def test_every_bad_cell_is_reported_not_just_the_first():
    table = dmn_table(
        "d",
        inputs=[("x", None), ("y", None)],
        outputs=[("out", None)],
        rules=[
            (("< 3", '"gansu" "guizhou"'), ('"ok"',)),
            (("[1..", "-"), ("1 +",)),
            (("-", "-"), ('"fine"',)),
        ],
    )
    content = dmn_file(table)
    problems = parse_dmn(content, "t.dmn").problems
    assert [(p.element, p.expression, p.line) for p in problems] == [
        ("d_r1", '"gansu" "guizhou"', line_of(content, '"gansu" "guizhou"')),
        ("d_r2", "[1..", line_of(content, "<text>[1..</text>")),
        ("d_r2", "1 +", line_of(content, "<text>1 +</text>")),
    ]
    assert "rule 'd_r1', input 'in1'" in problems[0].message
    assert "rule 'd_r2', output 'out'" in problems[2].message


TABLE_PROBLEMS = [
    # (decision xml, message part, element)
    (
        dmn_table("d", hit_policy="SOMETIMES", inputs=[("x", None)], outputs=[("o", None)], rules=[]),
        "unknown hit policy 'SOMETIMES'",
        "d",
    ),
    (
        dmn_table("d", hit_policy="FIRST", aggregation="SUM", inputs=[("x", None)], outputs=[("o", None)], rules=[]),
        "aggregation SUM needs hit policy COLLECT",
        "d",
    ),
    (
        dmn_table("d", hit_policy="COLLECT", aggregation="AVG", inputs=[("x", None)], outputs=[("o", None)], rules=[]),
        "unknown aggregation 'AVG'",
        "d",
    ),
    (
        dmn_table(
            "d",
            hit_policy="COLLECT",
            aggregation="SUM",
            inputs=[("x", None)],
            outputs=[("a", None), ("b", None)],
            rules=[],
        ),
        "SUM needs exactly one output",
        "d",
    ),
    (
        dmn_table("d", hit_policy="PRIORITY", inputs=[("x", None)], outputs=[("o", None)], rules=[]),
        "PRIORITY needs <outputValues>",
        "d",
    ),
    (
        dmn_table("d", hit_policy="PRIORITY", inputs=[("x", None)], outputs=[("o", None, "< 3")], rules=[]),
        "output values must be a comma-separated list of literals",
        "d_out0",
    ),
    (dmn_table("d", inputs=[("x", "number")], outputs=[("o", None)], rules=[]), "unknown typeRef 'number'", "d_in0"),
    (dmn_table("d", inputs=[("x", None)], outputs=[("o", "text")], rules=[]), "unknown typeRef 'text'", "d_out0"),
    (dmn_table("d", inputs=[("x", None)], outputs=[("", None)], rules=[]), "has no name", "d_out0"),
    (dmn_table("d", inputs=[("x", None)], outputs=[("o", None), ("o", None)], rules=[]), "'o' is used twice", "d"),
    (dmn_table("d", inputs=[("", None)], outputs=[("o", None)], rules=[]), "has no input expression", "d_in0"),
    (
        dmn_table("d", inputs=[("x", None)], outputs=[("o", None)], rules=[(("-", "-"), ('"a"',))]),
        "rule 'd_r1' has 2 input and 1 output entries",
        "d_r1",
    ),
    (
        dmn_table("d", required=["ghost"], inputs=[("x", None)], outputs=[("o", None)], rules=[]),
        "requires unknown decision 'ghost'",
        "d",
    ),
    (
        dmn_table("d", required=["d"], inputs=[("x", None)], outputs=[("o", None)], rules=[]),
        "requires itself: d -> d",
        "d",
    ),
    (
        dmn_table("d", inputs=[("x", None)], outputs=[("o", None)], rules=[]).replace(
            "<inputExpression ", '<inputExpression expressionLanguage="javascript" '
        ),
        "expression language 'javascript' is not supported",
        "d_in0",
    ),
    (
        dmn_table("d", inputs=[("x", None)], outputs=[("o", None)], rules=[(("-",), ('"a"',))]).replace(
            "<outputEntry ", '<outputEntry expressionLanguage="juel" '
        ),
        "expression language 'juel'",
        "d_r1",
    ),
    (
        '  <decision id="d" name="literal">\n    <literalExpression id="le"><text>1</text></literalExpression>\n'
        "  </decision>",
        "needs a <variable name=...>",
        "d",
    ),
    (
        '  <decision id="d" name="literal">\n    <variable id="v" name="x" />\n'
        '    <literalExpression id="le"><text>1 +</text></literalExpression>\n  </decision>',
        "literal expression: not valid FEEL",
        "d",
    ),
    (
        '  <decision id="d" name="literal">\n    <variable id="v" name="x" />\n'
        '    <literalExpression id="le"><text></text></literalExpression>\n  </decision>',
        "the literal expression is empty",
        "d",
    ),
    (
        '  <decision id="d" name="literal">\n    <variable id="v" name="x" typeRef="list" />\n'
        '    <literalExpression id="le"><text>1</text></literalExpression>\n  </decision>',
        "unknown typeRef 'list'",
        "d",
    ),
    (
        '  <decision id="d" name="context">\n    <variable id="v" name="x" />\n    <context id="c" />\n  </decision>',
        "only decision tables and literal expressions are supported",
        "d",
    ),
]


@pytest.mark.parametrize("decision, message, element", TABLE_PROBLEMS)
def test_table_problem(decision, message, element):
    problems = parse_dmn(dmn_file(decision), "t.dmn").problems
    assert any(message in p.message and p.element == element and p.file == "t.dmn" and p.line for p in problems), (
        problems
    )


def test_required_decision_cycle_across_decisions():
    a = dmn_table("a", required=["b"], inputs=[("1", None)], outputs=[("x", None)], rules=[])
    b = dmn_table("b", required=["a"], inputs=[("1", None)], outputs=[("y", None)], rules=[])
    decisions = parse_dmn(dmn_file(a, b), "t.dmn")
    assert {p.message for p in decisions.problems} == {
        "decision 'a' requires itself: a -> b -> a",
        "decision 'b' requires itself: b -> a -> b",
    }
    with pytest.raises(DecisionError, match="requires itself"):
        evaluate_decision(decisions, "a", {}, now=NOW)


def test_duplicate_decision_id_across_files():
    decisions = parse_dmn(ENROLMENT, "a.dmn")
    parse_dmn(ENROLMENT, "b.dmn", into=decisions)
    duplicates = [p for p in decisions.problems if "already defined in a.dmn" in p.message]
    assert [p.element for p in duplicates] == ["late_in_year", "enrolment_options", "hukou_time_limit"]
    assert all(p.file == "b.dmn" for p in duplicates)


@pytest.mark.parametrize(
    "content, message",
    [
        (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>', "DOCTYPE"),
        (b"<definitions", "not well-formed"),
        (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', "not a DMN"),
    ],
)
def test_unsafe_or_foreign_files(content, message):
    (problem,) = parse_dmn(content, "t.dmn").problems
    assert message in problem.message and problem.file == "t.dmn"
