"""Invalid input: 422 problem+json with field paths, and nothing started or changed."""

from __future__ import annotations


def test_invalid_application_is_422_with_field_paths(api, application):
    application["mother"]["id_number"] = application["mother"]["id_number"][:-1] + (
        "0" if application["mother"]["id_number"][-1] != "0" else "1"
    )
    application["applicant"]["phone"] = "12345"
    application["items"].append("passport")
    response = api.start(application)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert "mother.id_number" in errors
    assert "applicant.phone" in errors
    assert any(key.startswith("items") for key in errors)
    assert api.get("/api/tasks", "midwifery").get_json()["total"] == 0  # nothing started


def test_section_of_a_chosen_item_is_required(api, application):
    """R1.1: a section for a chosen item is required."""
    application.pop("hukou")
    errors = api.start(application).get_json()["errors"]
    assert "hukou" in errors


def test_missing_variables_is_422(api):
    response = api.post("/api/process-definitions/newborn_birth/start", "portal", json={})
    assert response.status_code == 422
    assert "variables" in response.get_json()["errors"]


def test_unknown_process_is_404(api, application):
    response = api.post(
        "/api/process-definitions/nope/start", "portal", json={"variables": {"application": application}}
    )
    assert response.status_code == 404


def test_return_without_reason_is_422_and_task_stays_open(api, application):
    """R2.6: a return must state its reason."""
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    response = api.post(
        f"/api/tasks/{step['task_id']}/complete", "midwifery", json={"variables": {"decision": "return"}}
    )
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]
    bad_number = api.post(
        f"/api/tasks/{step['task_id']}/complete",
        "midwifery",
        json={"variables": {"decision": "approve", "materials_checked": True, "certificate_number": "12"}},
    )
    assert bad_number.status_code == 422
    assert "certificate_number" in bad_number.get_json()["errors"]
    assert [s["task_id"] for s in api.open_steps(body["id"])] == [step["task_id"]]
