"""Business rule tasks (``camunda:decisionRef``) in a tiny process run in memory with the JUEL script engine;
state without the tables; deployment problems for DMN cells and decision refs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from engine.bpmn.script_engine import JuelScriptEngine
from engine.business_rules import DecisionTask, ProcessParser, StateSerializer, link_decisions
from engine.definitions import Checks, SpecCache, parse_deployment
from engine.errors import InvalidDeployment
from engine.runtime import advance, ready_review_tasks
from tests.support.calendars import FIXED_CALENDARS

from .test_dmn_evaluate import NOW, dmn_file, dmn_table
from .test_dmn_parse import line_of

DATA = Path(__file__).resolve().parent / "data"
BPMN = (DATA / "dmn_task.bpmn").read_bytes()
ENROLMENT = (DATA / "dmn_enrolment.dmn").read_bytes()
CHECKS = Checks(topics=frozenset(), form_keys=frozenset({"review"}), groups=frozenset({"police"}))


class FixedClock:
    def now(self):
        return NOW


def specs(bpmn: bytes = BPMN, *dmns: bytes):
    parser = ProcessParser()
    parser.add_bpmn_bytes(bpmn, "dmn_task.bpmn")
    for n, dmn in enumerate(dmns or (ENROLMENT,)):
        parser.add_dmn_bytes(dmn, f"rules{n}.dmn")
    return parser.get_spec("dmn_task"), parser.get_subprocess_specs("dmn_task")


def run(spec_pair, variables: dict) -> BpmnWorkflow:
    workflow = BpmnWorkflow(*spec_pair, script_engine=JuelScriptEngine(clock=FixedClock(), calendars=FIXED_CALENDARS))
    workflow.get_tasks()[0].data.update(variables)
    advance(workflow)
    return workflow


def review_data(workflow) -> dict:
    (review,) = ready_review_tasks(workflow)
    return review.data


@pytest.mark.parametrize(
    "region, birth_date, options, days",
    [
        ("gansu", "2026-11-02", ["current", "next", "current_and_next"], 1),  # R6.2
        ("gansu", "2026-03-02", ["current"], 1),
        ("guizhou", "2026-12-31", ["current"], 3),  # R6.2 is Gansu only
    ],
)
def test_business_rule_tasks_store_mapped_results(region, birth_date, options, days):
    data = review_data(run(specs(), {"region": region, "birth_date": birth_date}))
    assert data["enrolment_options"] == options  # collectEntries
    assert data["hukou_days"] == days  # singleEntry


@pytest.mark.parametrize(
    "mapping, expected",
    [
        ('camunda:mapDecisionResult="collectEntries"', ["current", "next", "current_and_next"]),
        (
            'camunda:mapDecisionResult="resultList"',
            [{"option": "current"}, {"option": "next"}, {"option": "current_and_next"}],
        ),
        ("", [{"option": "current"}, {"option": "next"}, {"option": "current_and_next"}]),  # default resultList
    ],
)
def test_result_mapping_on_the_task(mapping, expected):
    bpmn = BPMN.replace(b'camunda:mapDecisionResult="collectEntries"', mapping.encode())
    data = review_data(run(specs(bpmn), {"region": "gansu", "birth_date": "2026-11-02"}))
    assert data["enrolment_options"] == expected


@pytest.mark.parametrize(
    "mapping, expected",
    [
        ("singleEntry", None),
        ("singleResult", None),
        ("collectEntries", []),
        ("resultList", []),
    ],
)
def test_no_match_stores_what_camunda_stores(mapping, expected):
    bpmn = BPMN.replace(b'camunda:mapDecisionResult="singleEntry"', f'camunda:mapDecisionResult="{mapping}"'.encode())
    data = review_data(run(specs(bpmn), {"region": "beijing", "birth_date": "2026-11-02"}))
    assert "hukou_days" in data and data["hukou_days"] == expected


def swap_limit_decision(decision_xml: str, mapping: str = "singleEntry"):
    """The process with ``decide_limit`` pointing at decision ``d`` built from ``decision_xml``."""
    bpmn = BPMN.replace(
        b'camunda:decisionRef="hukou_time_limit" camunda:mapDecisionResult="singleEntry"',
        f'camunda:decisionRef="d" camunda:mapDecisionResult="{mapping}"'.encode(),
    )
    return specs(bpmn, ENROLMENT, dmn_file(decision_xml))


def test_unique_with_two_matches_fails_the_task_with_a_clear_error():
    overlap = dmn_table(
        "d",
        inputs=[("region", "string")],
        outputs=[("days", "integer")],
        rules=[(('"gansu"',), ("1",)), (('"gansu","guizhou"',), ("3",))],
    )
    with pytest.raises(WorkflowTaskException) as caught:
        run(swap_limit_decision(overlap), {"region": "gansu", "birth_date": "2026-11-02"})
    message = str(caught.value)
    assert "decide_limit" in message and "'d'" in message and "d_r1, d_r2" in message and "UNIQUE" in message
    assert caught.value.task.task_spec.name == "decide_limit" and caught.value.task.state == TaskState.ERROR


def test_a_mapping_that_does_not_fit_fails_the_task():
    bpmn = BPMN.replace(b'camunda:mapDecisionResult="collectEntries"', b'camunda:mapDecisionResult="singleEntry"')
    with pytest.raises(WorkflowTaskException, match="singleEntry does not fit a result with 3 results"):
        run(specs(bpmn), {"region": "gansu", "birth_date": "2026-11-02"})


def test_dates_are_stored_as_iso_text_and_today_is_the_service_clock():
    table = dmn_table(
        "d",
        inputs=[("1", None)],
        outputs=[("today", "date"), ("now", None), ("later", None)],
        rules=[(("-",), ("today()", "now()", 'today() + duration("P3D")'))],
    )
    data = review_data(run(swap_limit_decision(table, "singleResult"), {"region": "gansu", "birth_date": "2026-11-02"}))
    assert data["hukou_days"] == {"today": "2026-11-25", "now": "2026-11-25T10:30:00+08:00", "later": "2026-11-28"}


# -- state and specs ------------------------------------------------------------------------------------


def test_state_holds_results_not_tables_and_round_trips_on_cached_specs():
    spec_pair = specs()
    workflow = run(spec_pair, {"region": "gansu", "birth_date": "2026-11-02"})
    serializer = StateSerializer()
    state = serializer.dumps(workflow)
    for table_text in (
        "Rule_next",
        "DecisionTable_options",
        "late_in_year",
        '\\"gansu\\"',
        "hitPolicy",
        "decision_table",
    ):
        assert table_text not in state
    restored = serializer.loads(state, *spec_pair, JuelScriptEngine(clock=FixedClock(), calendars=FIXED_CALENDARS))
    (review,) = ready_review_tasks(restored)
    assert review.data["enrolment_options"] == ["current", "next", "current_and_next"]
    review.run()
    advance(restored)
    assert restored.completed


def test_spec_converter_stores_only_the_decision_ref():
    spec, _ = specs()
    dct = StateSerializer().spec_to_dict(spec)
    task = dct["task_specs"]["decide_options"]
    assert task["typename"] == "DecisionTask"
    assert {k: task[k] for k in ("decision_ref", "result_variable", "map_decision_result")} == {
        "decision_ref": "enrolment_options",
        "result_variable": "enrolment_options",
        "map_decision_result": "collectEntries",
    }
    text = json.dumps(dct, ensure_ascii=False)
    assert "decisions" not in task and "Rule_" not in text and "参保年度" in text  # the task's name, not the table


def test_a_fully_restored_spec_is_relinked_to_the_parsed_decisions():
    spec, subprocess_specs = specs()
    serializer = StateSerializer()._serializer
    restored = serializer.from_dict(serializer.to_dict(spec))
    assert restored.task_specs["decide_options"].decisions is None
    with pytest.raises(WorkflowTaskException, match="not linked"):
        run((restored, subprocess_specs), {"region": "gansu", "birth_date": "2026-11-02"})
    restored = serializer.from_dict(serializer.to_dict(spec))
    link_decisions([restored], spec.task_specs["decide_options"].decisions)
    data = review_data(run((restored, subprocess_specs), {"region": "gansu", "birth_date": "2026-11-02"}))
    assert data["hukou_days"] == 1


# -- deployment -----------------------------------------------------------------------------------------


def deploy(bpmn: bytes = BPMN, dmn: bytes = ENROLMENT, dmn_name: str = "rules.dmn"):
    return parse_deployment([("dmn_task.bpmn", bpmn), (dmn_name, dmn)], CHECKS)


def test_deployment_parses_decisions_once_and_specs_share_them():
    parsed = deploy()
    spec, _ = parsed.specs["dmn_task"]
    options, limit = spec.task_specs["decide_options"], spec.task_specs["decide_limit"]
    assert isinstance(options, DecisionTask) and options.decisions is limit.decisions
    assert sorted(options.decisions) == ["enrolment_options", "hukou_time_limit", "late_in_year"]
    cache = SpecCache()
    loads = []
    first = cache.get(7, lambda: loads.append(1) or [("dmn_task.bpmn", BPMN), ("rules.dmn", ENROLMENT)])
    assert cache.get(7, lambda: loads.append(1) or []) is first and loads == [1]


def deployment_problems(**files) -> list:
    with pytest.raises(InvalidDeployment) as caught:
        deploy(**files)
    return caught.value.problems


@pytest.mark.parametrize(
    "attribute, replacement, message",
    [
        (
            b'camunda:decisionRef="hukou_time_limit"',
            b'camunda:decisionRef="hukou_limit"',
            "unknown decision 'hukou_limit'",
        ),
        (b'camunda:decisionRef="hukou_time_limit"', b"", "needs camunda:decisionRef"),
        (b'camunda:decisionRef="hukou_time_limit"', b'camunda:decisionRef="${which}"', "not an expression"),
        (b'camunda:resultVariable="hukou_days"', b"", "needs camunda:resultVariable"),
        (
            b'camunda:mapDecisionResult="singleEntry"',
            b'camunda:mapDecisionResult="firstEntry"',
            "unknown camunda:mapDecisionResult 'firstEntry'",
        ),
        (
            b'camunda:decisionRef="hukou_time_limit"',
            b'camunda:decisionRef="hukou_time_limit" camunda:decisionRefBinding="version"',
            "decisionRefBinding",
        ),
    ],
)
def test_business_rule_task_problems_name_file_line_and_element(attribute, replacement, message):
    bpmn = BPMN.replace(attribute, replacement)
    (problem,) = deployment_problems(bpmn=bpmn)
    assert message in problem.message
    assert (problem.file, problem.element) == ("dmn_task.bpmn", "decide_limit")
    assert problem.line == line_of(bpmn, '<bpmn:businessRuleTask id="decide_limit"')


@pytest.mark.parametrize("text", ["__import__('os')", "().__class__", "lambda: 1", "open('/etc/passwd')"])
def test_python_in_a_dmn_cell_is_refused_at_deployment_with_its_line(text):
    dmn = ENROLMENT.replace(b"<text>3</text>", f"<text>{text}</text>".encode())
    problems = deployment_problems(dmn=dmn)
    (problem,) = [p for p in problems if p.expression == text]
    assert problem.file == "rules.dmn" and problem.element == "Rule_guizhou"
    assert problem.line == line_of(dmn, f"<text>{text}</text>")
    assert "decision 'hukou_time_limit'" in problem.message and "not valid FEEL" in problem.message


def test_every_dmn_problem_of_a_deployment_is_listed():
    dmn = (
        ENROLMENT.replace(b"<text>[10..12]</text>", b"<text>[10..</text>")
        .replace(b'<text>"next"</text>', b"<text>'next'</text>")
        .replace(b'hitPolicy="COLLECT"', b'hitPolicy="SOME"')
    )
    problems = deployment_problems(dmn=dmn)
    assert [(p.file, p.element, p.expression) for p in problems] == [
        ("rules.dmn", "Rule_q4", "[10.."),
        ("rules.dmn", "enrolment_options", None),
        ("rules.dmn", "Rule_next", "'next'"),
    ]
    assert all(p.line for p in problems)
