"""The clerks' clients get what the pages give (issue 22): search, the queue's columns and orders, a
comment, a follow-up date, colleagues and a hand-over through ``/api``, documented in the OpenAPI; search keys
stored as keyed digests, never as the values."""

from __future__ import annotations

from sqlalchemy import select

from engine.persistence.models import SearchKey
from handlers.newborn.samples import sample_application


def _search(api, user, text):
    response = api.get(f"/api/search?q={text}", user)
    assert response.status_code == 200, response.get_json()
    return [found["business_key"] for found in response.get_json()["items"]]


def test_search_by_each_key_within_reach(api, clock, ctx):
    sent = sample_application(clock.now(), seq=9)
    body = api.start(sent).get_json()
    for text in (
        body["business_key"],
        sent["mother"]["id_number"],
        sent["father"]["id_number"].lower(),
        "王芳",
        "李安然",
        "13800000001",
        "138 0000 0002",
    ):
        assert body["business_key"] in _search(api, "midwifery", text), text
        assert body["business_key"] in _search(api, "supervisor", text), text
        assert _search(api, "police_guizhou", text) == [], text  # another jurisdiction finds nothing
    assert _search(api, "police", body["business_key"]) == []  # no police task yet: not the police's
    found = api.get(f"/api/search?q={sent['mother']['id_number']}", "midwifery").get_json()["items"][0]
    assert found["matched"] == ["id_number"] and found["applicant_name"] == "李强"
    assert found["subject_name"] == "李安然" and found["task_open"] is True
    with ctx.reader() as uow:  # digests only: no ID number, phone or name is kept a second time
        stored = [
            tuple(row)
            for row in uow.session.execute(
                select(SearchKey.kind, SearchKey.digest).where(SearchKey.instance_id == body["id"])
            )
        ]
    assert {kind for kind, _ in stored} == {"id_number", "phone", "name"}
    assert all(len(digest) == 64 and sent["mother"]["id_number"] not in digest for _, digest in stored)
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    assert any(e["kind"] == "found_by_search" and e["actor"] == "midwifery" for e in history["items"])


def test_search_refuses_an_empty_or_long_query(api):
    assert api.get("/api/search?q=", "midwifery").status_code == 422
    assert api.get("/api/search?q=" + "x" * 101, "midwifery").status_code == 422
    assert api.get("/api/search?q=王芳", "portal").status_code == 403


def test_the_queue_gives_names_filing_and_district_and_sorts(api, clock):
    first = api.start(sample_application(clock.now(), seq=1)).get_json()
    second = api.start(sample_application(clock.now(), seq=2)).get_json()
    page = api.get("/api/tasks?order=filed&descending=true", "midwifery").get_json()
    assert [t["business_key"] for t in page["items"]][:2] in (
        [second["business_key"], first["business_key"]],
        [first["business_key"], second["business_key"]],
    )
    task = page["items"][0]
    assert task["applicant_name"] == "李强" and task["subject_name"] == "李安然"
    assert task["jurisdiction"] == "620102" and task["filed_at"]
    assert api.get("/api/tasks?order=nonsense", "midwifery").status_code == 422
    assert api.get("/api/tasks?item=hukou_registration", "midwifery").get_json()["total"] == 0


def test_comment_follow_up_and_hand_over(api, ctx, clock):
    from engine.usecases.accounts import add_user

    add_user(ctx, "mw-b", ["clerk"], ["midwifery"], ["62"])
    body = api.start(sample_application(clock.now())).get_json()
    [step] = api.open_steps(body["id"])
    task = step["task_id"]
    assert (
        api.post(
            f"/api/process-instances/{body['id']}/comments", "midwifery", json={"text": "请核对母亲证件"}
        ).status_code
        == 201
    )
    assert api.post(f"/api/process-instances/{body['id']}/comments", "midwifery", json={"text": ""}).status_code == 422
    assert (
        api.post(f"/api/process-instances/{body['id']}/comments", "police_guizhou", json={"text": "x"}).status_code
        == 404
    )
    response = api.call("PUT", f"/api/tasks/{task}/follow-up", "midwifery", json={"follow_up_on": "2026-11-27"})
    assert response.status_code == 200 and response.get_json()["follow_up_on"] == "2026-11-27"
    assert (
        api.call("PUT", f"/api/tasks/{task}/follow-up", "midwifery", json={"follow_up_on": "2020-01-01"}).status_code
        == 422
    )
    assert api.get("/api/tasks?follow_up=true", "midwifery").get_json()["total"] == 0
    colleagues = api.get(f"/api/tasks/{task}/colleagues", "midwifery").get_json()["items"]
    assert "mw-b" in colleagues and "midwifery2" in colleagues and "midwifery" not in colleagues
    assert api.post(f"/api/tasks/{task}/assign", "midwifery", json={"assignee": "police"}).status_code == 422
    response = api.post(f"/api/tasks/{task}/assign", "midwifery", json={"assignee": "mw-b"})
    assert response.status_code == 200 and response.get_json()["assignee"] == "mw-b"
    assert api.post(f"/api/tasks/{task}/assign", "midwifery", json={"assignee": "midwifery2"}).status_code == 409
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()["items"]
    kinds = {e["kind"]: e for e in history}
    assert kinds["comment"]["reason"] == "请核对母亲证件"
    assert kinds["task_assigned"]["detail"]["to"] == "mw-b" and kinds["follow_up_set"]["detail"]["on"] == "2026-11-27"


def test_a_completed_task_keeps_its_reason_and_what_the_clerk_read(api, clock):
    body = api.start(sample_application(clock.now())).get_json()
    [step] = api.open_steps(body["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    assert (
        api.post(
            f"/api/tasks/{step['task_id']}/complete",
            "midwifery",
            json={"variables": {"decision": "return", "reason": "出生时间有误"}},
        ).status_code
        == 200
    )
    task = api.get(f"/api/tasks/{step['task_id']}", "midwifery").get_json()
    assert task["outcome"] == "return" and task["reason"] == "出生时间有误"
    assert task["sections"]  # the application as the clerk read it, not a blank page
    assert any(m["name"] == "结婚证" for m in task["required_materials"])


def test_the_openapi_document_names_the_clerks_endpoints(api):
    paths = api.get("/api/openapi.json").get_json()["paths"]
    assert {
        "/api/search",
        "/api/process-instances/{instance_id}/comments",
        "/api/tasks/{task_id}/follow-up",
        "/api/tasks/{task_id}/colleagues",
        "/api/tasks/{task_id}/assign",
    } <= set(paths)
    assert "q" in {p["name"] for p in paths["/api/search"]["get"]["parameters"]}


def test_search_reindex_writes_the_keys_again_under_a_new_key(api, clock, ctx, database_url, monkeypatch, capsys):
    """After the digests' key changed (ONETHING_SEARCH_KEY, or the secret it is derived from), the stored
    digests find nothing until ``onething search reindex`` writes them again; later steps' keys too."""
    from engine.cli import main
    from engine.clock import CLOCK_START_VARIABLE
    from engine.search import SearchDigests

    ctx.search = SearchDigests(b"the first key")
    sent = sample_application(clock.now(), seq=11)
    body = api.start(sent).get_json()
    assert _search(api, "midwifery", sent["mother"]["id_number"]) == [body["business_key"]]
    with ctx.reader() as uow:
        before = set(uow.session.scalars(select(SearchKey.digest).where(SearchKey.instance_id == body["id"])))

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv(CLOCK_START_VARIABLE, clock.now().isoformat())
    monkeypatch.setenv("ONETHING_SEARCH_KEY", "the second key")
    ctx.search = SearchDigests(b"the second key")
    assert _search(api, "midwifery", sent["mother"]["id_number"]) == []  # old digests: unfindable now

    assert main(["search", "reindex"]) == 0
    out = capsys.readouterr().out
    assert "search reindex: 1 application(s)" in out and sent["mother"]["id_number"] not in out
    for text in (sent["mother"]["id_number"], "李安然", "13800000001"):
        assert _search(api, "midwifery", text) == [body["business_key"]], text
    with ctx.reader() as uow:
        after = set(uow.session.scalars(select(SearchKey.digest).where(SearchKey.instance_id == body["id"])))
    assert len(after) == len(before) and not after & before  # the same keys, none under the old key left
    assert main(["search", "reindex"]) == 0  # again: harmless, the same keys
    with ctx.reader() as uow:
        again = set(uow.session.scalars(select(SearchKey.digest).where(SearchKey.instance_id == body["id"])))
    assert again == after
