"""DMN evaluation as Camunda 7 does it: hit policies, aggregations, typeRefs, result mappings, required
decisions, pinned clock. Tables are built here in the shape Camunda Modeler 5 writes (``dmn_table``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from xml.sax.saxutils import escape

import pytest

from engine.dmn import DecisionError, DecisionResult, evaluate_decision, parse_dmn
from engine.dmn import evaluate as evaluate_module

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone(timedelta(hours=8)))


def dmn_table(
    decision_id: str,
    *,
    inputs,
    outputs,
    rules,
    hit_policy: str | None = None,
    aggregation: str | None = None,
    required=(),
    input_variable: str | None = None,
) -> str:
    """One ``<decision>``: ``inputs`` [(expression, typeRef)], ``outputs`` [(name, typeRef[, outputValues])],
    ``rules`` [(input cells, output cells)] with rule ids ``<decision>_r1``, ``_r2``..."""
    attrs = (f' hitPolicy="{hit_policy}"' if hit_policy else "") + (
        f' aggregation="{aggregation}"' if aggregation else ""
    )
    var = f' camunda:inputVariable="{input_variable}"' if input_variable else ""
    lines = [f'  <decision id="{decision_id}" name="{decision_id}">']
    for i, ref in enumerate(required):
        lines += [
            f'    <informationRequirement id="{decision_id}_req{i}">',
            f'      <requiredDecision href="#{ref}" />',
            "    </informationRequirement>",
        ]
    lines.append(f'    <decisionTable id="{decision_id}_table"{attrs}>')
    for i, (expression, type_ref) in enumerate(inputs):
        type_attr = f' typeRef="{type_ref}"' if type_ref else ""
        lines += [
            f'      <input id="{decision_id}_in{i}" label="in{i}"{var}>',
            f'        <inputExpression id="{decision_id}_ie{i}"{type_attr}>',
            f"          <text>{escape(expression)}</text>",
            "        </inputExpression>",
            "      </input>",
        ]
    for i, (name, type_ref, *values) in enumerate(outputs):
        type_attr = f' typeRef="{type_ref}"' if type_ref else ""
        if values:
            lines += [
                f'      <output id="{decision_id}_out{i}" label="{name}" name="{name}"{type_attr}>',
                f'        <outputValues id="{decision_id}_ov{i}">',
                f"          <text>{escape(values[0])}</text>",
                "        </outputValues>",
                "      </output>",
            ]
        else:
            lines.append(f'      <output id="{decision_id}_out{i}" label="{name}" name="{name}"{type_attr} />')
    for r, (tests, conclusions) in enumerate(rules, 1):
        rule_id = f"{decision_id}_r{r}"
        lines.append(f'      <rule id="{rule_id}">')
        for c, text in enumerate(tests):
            lines += [
                f'        <inputEntry id="{rule_id}_i{c}">',
                f"          <text>{escape(text)}</text>",
                "        </inputEntry>",
            ]
        for c, text in enumerate(conclusions):
            lines += [
                f'        <outputEntry id="{rule_id}_o{c}">',
                f"          <text>{escape(text)}</text>",
                "        </outputEntry>",
            ]
        lines.append("      </rule>")
    lines += ["    </decisionTable>", "  </decision>"]
    return "\n".join(lines)


def dmn_file(*decisions: str, namespace: str = DMN13) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions xmlns="{namespace}" xmlns:camunda="http://camunda.org/schema/1.0/dmn" '
        'id="Definitions_test" name="test" namespace="http://camunda.org/schema/1.0/dmn">\n'
        + "\n".join(decisions)
        + "\n</definitions>\n"
    ).encode()


def decide(decision_xml: str, variables: dict, decision_id: str = "d", *more: str) -> DecisionResult:
    decisions = parse_dmn(dmn_file(decision_xml, *more), "test.dmn")
    assert decisions.problems == []
    return evaluate_decision(decisions, decision_id, variables, now=NOW)


def x_table(hit_policy, rules, aggregation=None, output=("out", None)):
    return dmn_table(
        "d",
        hit_policy=hit_policy,
        aggregation=aggregation,
        inputs=[("x", "integer")],
        outputs=[output],
        rules=[((test,), (out,)) for test, out in rules],
    )


# -- hit policies ---------------------------------------------------------------------------------------

OVERLAP = [("< 10", '"a"'), ("< 20", '"b"'), ("-", '"c"')]
AGREE = [("< 10", '"a"'), ("< 20", '"a"'), (">= 20", '"z"')]
RANKED = [("< 20", '"low"'), ("< 10", '"high"'), ("-", '"medium"')]
PRIORITY_OUT = ("out", "string", '"high","medium","low"')

HIT_POLICY_CASES = [
    # (hit policy, rules, output, x, expected outputs, expected rule ids)
    ("UNIQUE", [("< 10", '"a"'), (">= 10", '"b"')], ("out", None), 3, ["a"], ["d_r1"]),
    ("UNIQUE", [("< 10", '"a"'), (">= 10", '"b"')], ("out", None), 12, ["b"], ["d_r2"]),
    ("UNIQUE", [("< 10", '"a"'), (">= 10", '"b"')], ("out", None), None, [], []),
    (None, [("< 10", '"a"'), (">= 10", '"b"')], ("out", None), 12, ["b"], ["d_r2"]),  # UNIQUE by default
    ("FIRST", OVERLAP, ("out", None), 3, ["a"], ["d_r1"]),
    ("FIRST", OVERLAP, ("out", None), 15, ["b"], ["d_r2"]),
    ("FIRST", OVERLAP, ("out", None), 30, ["c"], ["d_r3"]),
    ("ANY", AGREE, ("out", None), 3, ["a"], ["d_r1"]),
    ("ANY", AGREE, ("out", None), 30, ["z"], ["d_r3"]),
    ("PRIORITY", RANKED, PRIORITY_OUT, 3, ["high"], ["d_r2"]),
    ("PRIORITY", RANKED, PRIORITY_OUT, 15, ["medium"], ["d_r3"]),
    ("PRIORITY", RANKED, PRIORITY_OUT, 30, ["medium"], ["d_r3"]),
    ("OUTPUT ORDER", RANKED, PRIORITY_OUT, 3, ["high", "medium", "low"], ["d_r2", "d_r3", "d_r1"]),
    ("RULE ORDER", OVERLAP, ("out", None), 3, ["a", "b", "c"], ["d_r1", "d_r2", "d_r3"]),
    ("RULE ORDER", OVERLAP, ("out", None), 15, ["b", "c"], ["d_r2", "d_r3"]),
    ("COLLECT", OVERLAP, ("out", None), 3, ["a", "b", "c"], ["d_r1", "d_r2", "d_r3"]),
    ("COLLECT", [("< 0", '"a"')], ("out", None), 3, [], []),
]


@pytest.mark.parametrize("hit_policy, rules, output, x, expected, rule_ids", HIT_POLICY_CASES)
def test_hit_policy(hit_policy, rules, output, x, expected, rule_ids):
    result = decide(x_table(hit_policy, rules, output=output), {"x": x})
    assert result.collect_entries() == expected
    assert list(result.rule_ids) == rule_ids


def test_unique_with_two_matches_names_the_decision_and_both_rules():
    with pytest.raises(DecisionError) as caught:
        decide(x_table("UNIQUE", OVERLAP), {"x": 15})
    assert "'d'" in str(caught.value) and "d_r2, d_r3" in str(caught.value) and "UNIQUE" in str(caught.value)
    assert caught.value.decision_id == "d" and caught.value.rule_ids == ("d_r2", "d_r3")


def test_any_with_disagreeing_matches_is_an_error():
    with pytest.raises(DecisionError, match=r"ANY .*d_r1, d_r2, d_r3"):
        decide(x_table("ANY", OVERLAP), {"x": 3})


def test_priority_output_value_outside_the_list_is_an_error():
    with pytest.raises(DecisionError, match="not one of its output values"):
        decide(x_table("PRIORITY", [("-", '"urgent"')], output=PRIORITY_OUT), {"x": 1})


NUMBERS = [("< 10", "1"), ("< 20", "2"), ("-", "4")]
AGGREGATION_CASES = [
    # (aggregation, rules, output typeRef, x, expected result list)
    ("SUM", NUMBERS, None, 3, [{"out": 7}]),
    ("SUM", NUMBERS, None, 15, [{"out": 6}]),
    ("SUM", [("-", "1.5"), ("-", "2")], "double", 0, [{"out": 3.5}]),
    ("MIN", NUMBERS, None, 3, [{"out": 1}]),
    ("MAX", NUMBERS, None, 3, [{"out": 4}]),
    ("COUNT", NUMBERS, None, 3, [{"out": 3}]),
    ("COUNT", NUMBERS, None, 30, [{"out": 1}]),
    ("SUM", [("< 0", "1")], None, 3, []),  # no match: no result (Camunda 7)
    ("MIN", [("< 0", "1")], None, 3, []),
    ("MAX", [("< 0", "1")], None, 3, []),
    ("COUNT", [("< 0", "1")], None, 3, [{"out": 0}]),  # no match: 0
]


@pytest.mark.parametrize("aggregation, rules, type_ref, x, expected", AGGREGATION_CASES)
def test_collect_aggregation(aggregation, rules, type_ref, x, expected):
    result = decide(x_table("COLLECT", rules, aggregation=aggregation, output=("out", type_ref)), {"x": x})
    assert result.result_list() == expected
    assert all(type(a) is type(b) for a, b in zip(result.collect_entries(), [e["out"] for e in expected], strict=True))


def test_collect_sum_of_strings_is_an_error():
    with pytest.raises(DecisionError, match="SUM needs numbers"):
        decide(x_table("COLLECT", [("-", '"a"')], aggregation="SUM"), {"x": 1})


# -- result mappings ------------------------------------------------------------------------------------

ONE = DecisionResult("d", ({"a": 1},), ("r1",))
TWO_OUTPUTS = DecisionResult("d", ({"a": 1, "b": 2},), ("r1",))
TWO_RESULTS = DecisionResult("d", ({"a": 1}, {"a": 2}), ("r1", "r2"), multi_hit=True)
NONE = DecisionResult("d", (), ())
MISFIT = DecisionError

MAPPING_CASES = [
    # (result, mapping, expected value or MISFIT)
    (NONE, "singleEntry", None),
    (NONE, "singleResult", None),
    (NONE, "collectEntries", []),
    (NONE, "resultList", []),
    (NONE, None, []),  # resultList is the default
    (ONE, "singleEntry", 1),
    (ONE, "singleResult", {"a": 1}),
    (ONE, "collectEntries", [1]),
    (ONE, "resultList", [{"a": 1}]),
    (TWO_OUTPUTS, "singleEntry", MISFIT),
    (TWO_OUTPUTS, "singleResult", {"a": 1, "b": 2}),
    (TWO_OUTPUTS, "collectEntries", MISFIT),
    (TWO_OUTPUTS, "resultList", [{"a": 1, "b": 2}]),
    (TWO_RESULTS, "singleEntry", MISFIT),
    (TWO_RESULTS, "singleResult", MISFIT),
    (TWO_RESULTS, "collectEntries", [1, 2]),
    (TWO_RESULTS, "resultList", [{"a": 1}, {"a": 2}]),
    (ONE, "firstEntry", MISFIT),
]


@pytest.mark.parametrize("result, mapping, expected", MAPPING_CASES)
def test_result_mapping(result, mapping, expected):
    if expected is MISFIT:
        with pytest.raises(DecisionError, match="'d'"):
            result.mapped(mapping)
    else:
        assert result.mapped(mapping) == expected


@pytest.mark.parametrize(
    "mapping, expected",
    [
        ("singleEntry", None),
        ("singleResult", None),
        ("collectEntries", []),
        ("resultList", []),
    ],
)
def test_no_rule_matched_gives_empty_result_per_mapping(mapping, expected):
    result = decide(x_table("UNIQUE", [("< 0", '"a"')]), {"x": 5})
    assert result.entries == () and result.mapped(mapping) == expected


def test_empty_output_entry_leaves_the_output_out():
    table = dmn_table("d", inputs=[("x", None)], outputs=[("a", None), ("b", None)], rules=[(("-",), ('"A"', ""))])
    assert decide(table, {"x": 1}).single_result() == {"a": "A"}


# -- typeRef conversion ---------------------------------------------------------------------------------

INPUT_TYPE_CASES = [
    # (input typeRef, variable value, input entry, matches?)
    ("integer", "2", "2", True),
    ("integer", 2, "2", True),
    ("integer", 2.0, "2", True),
    (None, "2", "2", False),  # no typeRef: the string "2" is not the number 2
    ("string", 2, '"2"', True),
    (None, 2, '"2"', False),
    ("string", True, '"true"', True),
    ("long", 2**40, "> 1000000000000", True),
    ("double", "2.5", "2.5", True),
    ("double", 2, "2", True),
    ("boolean", "TRUE", "true", True),
    ("boolean", False, "false", True),
    ("date", "2026-11-02", '< date("2026-12-01")', True),
    ("date", "2026-11-02", '[date("2026-01-01")..date("2026-10-31")]', False),
    ("date", date(2026, 11, 2), 'date("2026-11-02")', True),
    ("date", "2026-11-02T10:00:00", '< date and time("2026-12-01T00:00:00")', True),
    ("integer", None, "null", True),  # null passes every typeRef
    ("date", None, "-", True),
]


@pytest.mark.parametrize("type_ref, value, entry, matches", INPUT_TYPE_CASES)
def test_input_type_ref(type_ref, value, entry, matches):
    table = dmn_table("d", inputs=[("v", type_ref)], outputs=[("out", None)], rules=[((entry,), ('"hit"',))])
    assert decide(table, {"v": value}).collect_entries() == (["hit"] if matches else [])


@pytest.mark.parametrize(
    "type_ref, value",
    [
        ("integer", 2.5),
        ("integer", "2.0"),
        ("integer", True),
        ("integer", 2**40),
        ("integer", "x"),
        ("long", 2**70),
        ("double", "abc"),
        ("boolean", "yes"),
        ("boolean", 1),
        ("date", "02/11/2026"),
        ("date", 20261102),
        ("string", {"a": 1}),
    ],
)
def test_input_that_cannot_be_converted_is_an_error(type_ref, value):
    table = dmn_table("d", inputs=[("v", type_ref)], outputs=[("out", None)], rules=[(("-",), ('"hit"',))])
    with pytest.raises(DecisionError, match=f"typeRef '{type_ref}'"):
        decide(table, {"v": value})


def test_conversion_errors_do_not_show_the_value():
    """Errors become incidents that staff read: the variable's value (personal data) is left out."""
    table = dmn_table("d", inputs=[("id_number", "integer")], outputs=[("out", None)], rules=[(("-",), ("1",))])
    with pytest.raises(DecisionError) as caught:
        decide(table, {"id_number": "62010219920315002X"})
    assert "62010219920315002X" not in str(caught.value) and "a str value" in str(caught.value)


OUTPUT_TYPE_CASES = [
    ("integer", '"3"', 3),
    ("integer", "3.0", 3),
    ("double", "1", 1.0),
    ("string", "5", "5"),
    ("boolean", '"false"', False),
    ("date", '"2026-01-02"', date(2026, 1, 2)),
    ("date", 'date("2026-01-02")', date(2026, 1, 2)),
    (None, "[1, 2]", [1, 2]),
    ("string", "null", None),
]


@pytest.mark.parametrize("type_ref, cell, expected", OUTPUT_TYPE_CASES)
def test_output_type_ref(type_ref, cell, expected):
    table = dmn_table("d", inputs=[("1", None)], outputs=[("out", type_ref)], rules=[(("-",), (cell,))])
    value = decide(table, {}).single_entry()
    assert value == expected and type(value) is type(expected)


def test_output_that_cannot_be_converted_is_an_error():
    table = dmn_table("d", inputs=[("1", None)], outputs=[("out", "integer")], rules=[(("-",), ('"x"',))])
    with pytest.raises(DecisionError, match=r"rule 'd_r1', output 'out'.*typeRef 'integer'"):
        decide(table, {})


# -- context: variables, input variable, clock -------------------------------------------------------------


def test_input_expression_is_feel_over_the_variables():
    table = dmn_table(
        "d",
        inputs=[("application.mother.age + 1", "integer")],
        outputs=[("out", None)],
        rules=[(("> 30",), ('"older"',)), (("<= 30",), ('"younger"',))],
    )
    assert decide(table, {"application": {"mother": {"age": 30}}}).single_entry() == "older"


@pytest.mark.parametrize("input_variable, entry", [(None, "cellInput > 3"), ("age", "age > 3"), (None, "? > 3")])
def test_entries_see_the_input_value_by_name(input_variable, entry):
    table = dmn_table(
        "d",
        inputs=[("months", None)],
        outputs=[("out", None)],
        rules=[((entry,), ('"yes"',))],
        input_variable=input_variable,
    )
    assert decide(table, {"months": 5}).collect_entries() == ["yes"]
    assert decide(table, {"months": 2}).collect_entries() == []


def test_entries_and_outputs_see_other_variables():
    table = dmn_table("d", inputs=[("age", None)], outputs=[("out", None)], rules=[(("> limit",), ("age - limit",))])
    assert decide(table, {"age": 9, "limit": 5}).single_entry() == 4


def test_today_and_now_are_pinned_to_the_given_now():
    table = dmn_table(
        "d",
        inputs=[("due", "date")],
        outputs=[("today", "date"), ("now", None)],
        rules=[(("< today()",), ("today()", "now()"))],
    )
    assert decide(table, {"due": "2026-11-24"}).single_result() == {"today": date(2026, 11, 25), "now": NOW}
    assert decide(table, {"due": "2026-11-25"}).single_result() is None


# -- required decisions ---------------------------------------------------------------------------------

BASE = dmn_table(
    "base",
    inputs=[("region", "string")],
    outputs=[("days", "integer")],
    rules=[(('"gansu"',), ("1",)), (('"guizhou"',), ("3",))],
)
PAIR = dmn_table(
    "pair",
    required=["base"],
    inputs=[("days", None)],
    outputs=[("lo", None), ("hi", None)],
    rules=[(("-",), ("days", "days * 2"))],
)
LIST = dmn_table(
    "options",
    hit_policy="COLLECT",
    inputs=[("region", None)],
    outputs=[("option", None)],
    rules=[(("-",), ('"current"',)), (('"gansu"',), ('"next"',))],
)
TOP = dmn_table(
    "top",
    required=["pair", "options", "base"],
    inputs=[("1", None)],
    outputs=[("summary", None)],
    rules=[(("-",), ("{lo: lo, hi: hi, option: option, base: base, pair: pair, options: options}",))],
)


@pytest.mark.parametrize(
    "region, summary",
    [
        (
            "gansu",
            {
                "lo": 1,
                "hi": 2,
                "option": ["current", "next"],
                "base": 1,
                "pair": {"lo": 1, "hi": 2},
                "options": ["current", "next"],
            },
        ),
        (
            "guizhou",
            {"lo": 3, "hi": 6, "option": ["current"], "base": 3, "pair": {"lo": 3, "hi": 6}, "options": ["current"]},
        ),
    ],
)
def test_required_decisions_feed_outputs_by_name_and_results_by_id(region, summary):
    """Camunda 7: a single result's outputs become variables by name, a COLLECT's become lists; DMN 1.3:
    the decision's id holds its result (single output: the value; several: a context; COLLECT: a list)."""
    assert decide(TOP, {"region": region}, "top", BASE, PAIR, LIST).single_entry() == summary


def test_a_required_decision_without_match_leaves_its_id_null():
    result = decide(
        dmn_table(
            "top", required=["base"], inputs=[("1", None)], outputs=[("out", None)], rules=[(("-",), ("[base, days]",))]
        ),
        {"region": "beijing", "days": 9},
        "top",
        BASE,
    )
    assert result.single_entry() == [None, 9]


def test_required_decision_outputs_override_variables():
    assert decide(PAIR, {"region": "gansu", "days": 100}, "pair", BASE).single_result() == {"lo": 1, "hi": 2}


def test_each_required_decision_is_evaluated_once(monkeypatch):
    seen = []
    original = evaluate_module._evaluate_table
    monkeypatch.setattr(
        evaluate_module,
        "_evaluate_table",
        lambda decision, *args: seen.append(decision.id) or original(decision, *args),
    )
    diamond = dmn_table(
        "top", required=["pair", "base"], inputs=[("1", None)], outputs=[("out", None)], rules=[(("-",), ("hi",))]
    )
    assert decide(diamond, {"region": "gansu"}, "top", BASE, PAIR).single_entry() == 2
    assert seen == ["base", "pair", "top"]


def test_unknown_decision_is_an_error():
    decisions = parse_dmn(dmn_file(BASE), "test.dmn")
    with pytest.raises(DecisionError, match="unknown decision 'nope'"):
        evaluate_decision(decisions, "nope", {}, now=NOW)


def test_variables_are_not_modified():
    variables = {"region": "gansu"}
    decide(PAIR, variables, "pair", BASE)
    assert variables == {"region": "gansu"}


# -- literal expression decisions ------------------------------------------------------------------------


def literal(decision_id: str, text: str, *, variable: str = "result", type_ref: str | None = None, required=()) -> str:
    """A literal expression decision as Camunda Modeler 5 writes it: ``<variable>`` then the expression."""
    type_attr = f' typeRef="{type_ref}"' if type_ref else ""
    lines = [
        f'  <decision id="{decision_id}" name="{decision_id}">',
        f'    <variable id="{decision_id}_var" name="{variable}"{type_attr} />',
    ]
    for i, ref in enumerate(required):
        lines += [
            f'    <informationRequirement id="{decision_id}_req{i}">',
            f'      <requiredDecision href="#{ref}" />',
            "    </informationRequirement>",
        ]
    lines += [
        f'    <literalExpression id="{decision_id}_le">',
        f"      <text>{escape(text)}</text>",
        "    </literalExpression>",
        "  </decision>",
    ]
    return "\n".join(lines)


REFUSE_A = dmn_table(
    "refuse_a",
    hit_policy="COLLECT",
    inputs=[("x", None)],
    outputs=[("rule", None), ("code", None)],
    rules=[(("> 1",), ('"R1"', '"big"')), (("> 2",), ('"R2"', '"bigger"'))],
)
REFUSE_B = dmn_table(
    "refuse_b",
    hit_policy="COLLECT",
    inputs=[("y", None)],
    outputs=[("rule", None), ("code", None)],
    rules=[(('"no"',), ('"R3"', '"said_no"'))],
)
GATHER = literal("gather", "concatenate(refuse_a, refuse_b)", variable="refusals", required=["refuse_a", "refuse_b"])


@pytest.mark.parametrize(
    "x, y, expected",
    [
        (0, "yes", []),
        (2, "yes", [{"rule": "R1", "code": "big"}]),
        (3, "no", [{"rule": "R1", "code": "big"}, {"rule": "R2", "code": "bigger"}, {"rule": "R3", "code": "said_no"}]),
        (0, "no", [{"rule": "R3", "code": "said_no"}]),
    ],
)
def test_literal_expression_gathers_required_collect_tables(x, y, expected):
    """A literal expression decision (DMN 1.3, Camunda 7 FEEL) sees each required decision's result by id:
    concatenating COLLECT tables gives every matching row, as one list, in the order listed."""
    result = decide(GATHER, {"x": x, "y": y}, "gather", REFUSE_A, REFUSE_B)
    assert result.entries == ({"refusals": expected},)
    assert result.single_entry() == expected and result.single_result() == {"refusals": expected}
    assert result.value == expected


@pytest.mark.parametrize(
    "text, type_ref, variables, expected",
    [
        ("a + 1", None, {"a": 1}, 2),
        ("a + 1", "string", {"a": 1}, "2"),
        ('"7"', "integer", {}, 7),
        ("today()", "date", {}, date(2026, 11, 25)),
        ("missing", None, {}, None),
    ],
)
def test_literal_expression_value_and_type_ref(text, type_ref, variables, expected):
    assert decide(literal("d", text, type_ref=type_ref), variables).single_entry() == expected


def test_literal_expression_failure_names_the_decision():
    with pytest.raises(DecisionError, match="decision 'd': literal expression: cannot convert"):
        decide(literal("d", '"x"', type_ref="integer"), {})


def test_a_table_may_require_a_literal_expression():
    double = literal("double", "n * 2", variable="twice")
    table = dmn_table(
        "d",
        required=["double"],
        inputs=[("twice", None)],
        outputs=[("out", None)],
        rules=[(("> 5",), ('"big"',)), (("<= 5",), ('"small"',))],
    )
    assert decide(table, {"n": 3}, "d", double).single_entry() == "big"
    assert decide(table, {"n": 2}, "d", double).single_entry() == "small"
