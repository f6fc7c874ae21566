"""Decision tables edited as Camunda Modeler writes FEEL — a list, a range, not(...), true, a date — and
deployed as a new version change the dry run's outcome; running applications keep their version (issue 8)."""

from __future__ import annotations

import re

import pytest

from .test_policy import WORKFLOWS, deploy, dry_run

ELIGIBILITY = (WORKFLOWS / "eligibility.dmn").read_text(encoding="utf-8")


def with_rule(decision_id: str, cells: list[str], code: str) -> bytes:
    """eligibility.dmn with one more rule (Modeler's XML shape) at the end of ``decision_id``'s table."""
    start = ELIGIBILITY.index(f'<decision id="{decision_id}"')
    end = ELIGIBILITY.index("</decisionTable>", start)
    entries = "".join(
        f'\n        <inputEntry id="UnaryTests_{code}_{n}">\n          <text>{cell}</text>\n        </inputEntry>'
        for n, cell in enumerate(cells)
    )
    outputs = "".join(
        f'\n        <outputEntry id="LiteralExpression_{code}_{name}">\n          <text>{value}</text>\n'
        f"        </outputEntry>"
        for name, value in (("rule", '"R9.9"'), ("code", f'"{code}"'), ("message", '"系统测试规则：暂停受理。"'))
    )
    rule = f'  <rule id="DecisionRule_{code}">{entries}{outputs}\n      </rule>\n    '
    return (ELIGIBILITY[:end] + rule + ELIGIBILITY[end:]).encode("utf-8")


EDITS = [
    # (decision, the new rule's input entries, what FEEL construct it exercises)
    ("eligibility_marriage_family", ['"gansu","guizhou"', 'not("divorced", "single")', "true"], "list_not_true"),
    ("eligibility_insurance_year", ['"gansu"', "-", "[1..12]"], "range"),
    ("eligibility_hukou_registration", ['"gansu"', "-", '&gt;= date("2020-01-01")', "-", "-"], "date"),
]


@pytest.mark.parametrize("decision, cells, code", EDITS, ids=[e[2] for e in EDITS])
def test_an_edited_table_deployed_changes_the_check_and_running_instances_keep_theirs(
    api, application, decision, cells, code
):
    before = dry_run(api, application).get_json()
    assert before["eligible"] is True, before["refusals"]
    running = api.start(application).get_json()
    assert running["definition"]["version"] == 1

    edited = with_rule(decision, cells, code)
    assert re.search(f'<rule id="DecisionRule_{code}">', edited.decode())
    # the new rule refuses the bundled Gansu sample: the dry run stops it, the analyst forces it (on purpose)
    refused = deploy(api, [("eligibility.dmn", edited)])
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["file"] == "samples/gansu.json"
    assert (
        code in refused.get_json()["problems"][0]["message"] or "R9.9" in refused.get_json()["problems"][0]["message"]
    )
    response = deploy(api, [("eligibility.dmn", edited)], force=True)
    assert response.status_code == 201, response.get_json()

    after = dry_run(api, application).get_json()
    assert after["eligible"] is False
    assert [r["code"] for r in after["refusals"]] == [code]
    assert after["refusals"][0]["rule"] == "R9.9"
    # the application already running stays on version 1 and finishes there
    api.walk_to_end(running["id"])
    instance = api.get(f"/api/process-instances/{running['id']}", "portal").get_json()
    assert instance["definition"]["version"] == 1 and instance["state"] == "completed"


def test_a_cell_with_python_is_refused_at_deployment(api):
    edited = with_rule("eligibility_naming", ['"gansu"', "__import__('os').system('id')"], "python")
    response = deploy(api, [("eligibility.dmn", edited)])
    assert response.status_code == 422
    problem = next(p for p in response.get_json()["problems"] if p["expression"] and "__import__" in p["expression"])
    assert problem["file"] == "eligibility.dmn" and problem["line"] and problem["element"]
