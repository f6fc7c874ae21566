"""Oversight: the diagram with progress marked and the service levels (R5.3, R8.4)."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.safexml import parse_xml
from handlers.newborn.samples import sample_application


def test_diagram_marks_done_active_and_overdue_steps(api, application, clock):
    body = api.start(application).get_json()
    response = api.get(f"/api/process-instances/{body['id']}/diagram.svg", "midwifery")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = parse_xml(response.data)  # well-formed SVG
    classes = {g.get("id"): g.get("class") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert classes["start"] == "done" and classes["dispatch"] == "done"
    assert classes["birth_certificate_review"] == "active"
    assert classes["hukou_review"] == "idle"
    assert "出生医学证明签发审核" in response.get_data(as_text=True)

    clock.advance(timedelta(days=3))
    svg = api.get(f"/api/process-instances/{body['id']}/diagram.svg", "supervisor").get_data(as_text=True)
    assert re.search(r'<g id="birth_certificate_review" class="overdue">', svg)
    assert api.get(f"/api/process-instances/{body['id']}/diagram.svg", "police_guizhou").status_code == 404


def test_service_levels_per_item_department_and_clerk(api, clock):
    """R8.4: handled, returned, working days taken and overdue, per item, department and clerk."""
    done = api.start(sample_application(clock.now(), seq=1)).get_json()
    api.walk_to_end(done["id"])
    returned = api.start(sample_application(clock.now(), seq=2)).get_json()
    [step] = api.open_steps(returned["id"])
    api.post(
        f"/api/tasks/{step['task_id']}/complete",
        "midwifery",
        json={"variables": {"decision": "return", "reason": "出生医学证明信息有误"}},
    )
    late = api.start(sample_application(clock.now(), seq=3)).get_json()
    clock.advance(timedelta(days=10))

    levels = api.get("/api/metrics/service-levels", "supervisor").get_json()
    by_item = {row["item"]: row for row in levels["by_item"]}
    assert by_item["birth_certificate"]["handled"] == 2
    assert by_item["birth_certificate"]["returned"] == 1
    assert by_item["birth_certificate"]["open"] == 1 and by_item["birth_certificate"]["overdue"] == 1
    assert by_item["hukou_registration"]["handled"] == 1
    assert by_item["birth_certificate"]["average_working_days"] is not None
    clerks = {(row["clerk"], row["department"]): row for row in levels["by_clerk"]}
    assert clerks[("midwifery", "midwifery")]["handled"] == 2
    assert clerks[("police", "police")]["handled"] == 1
    assert {row["department"] for row in levels["by_department"]} == {"midwifery", "police"}
    assert late["id"]
    assert api.get("/api/metrics/service-levels", "midwifery").status_code == 403


def test_overdue_now_lists_the_late_open_steps_of_the_jurisdictions(api, clock):
    """R5.3: what is late now, one rule for the API and the supervisors' page (issue 21)."""
    late = api.start(sample_application(clock.now(), seq=1)).get_json()
    assert api.get("/api/oversight/overdue", "supervisor").get_json() == []
    clock.advance(timedelta(days=10))
    fresh = api.start(sample_application(clock.now(), seq=2)).get_json()
    rows = api.get("/api/oversight/overdue", "supervisor").get_json()
    assert [(r["business_key"], r["group"], r["department"]) for r in rows] == [
        (late["business_key"], "midwifery", "助产机构")
    ]
    assert rows[0]["due_at"] < clock.now().isoformat() and rows[0]["assignee"] is None
    assert fresh["business_key"] not in {r["business_key"] for r in rows}
    assert api.get("/api/oversight/overdue", "admin").get_json() == rows
    assert api.get("/api/oversight/overdue", "midwifery").status_code == 403


def test_the_queue_answers_its_counts_with_the_page(api, clock):
    first = api.start(sample_application(clock.now(), seq=1)).get_json()
    api.start(sample_application(clock.now(), seq=2))
    [step] = [s for s in api.open_steps(first["id"])]
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    page = api.get("/api/tasks?per_page=1", "midwifery").get_json()
    assert page["total"] == 2 and len(page["items"]) == 1
    assert page["counts"] == {"all": 2, "mine": 1, "unclaimed": 1, "overdue": 0}
    clock.advance(timedelta(days=10))
    assert api.get("/api/tasks?assignee=me", "midwifery").get_json()["counts"]["overdue"] == 2
