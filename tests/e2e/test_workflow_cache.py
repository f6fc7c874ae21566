"""A process keeps the workflows it saved (``engine.workflow_cache``) and its next change of the instance
takes it from there instead of loading the stored state; a change another process saved meanwhile is never
answered from it."""

from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.task import TaskState

from api import create_app
from engine.bootstrap import build_context
from engine.worker import Worker
from tests.e2e.conftest import CLERK_OF, Api
from tests.support.databases import SPECS


def test_the_next_change_takes_the_saved_workflow(api, ctx, application):
    body = api.start(application).get_json()  # started here, stepped on by the worker (same process)
    [step] = api.open_steps(body["id"])
    hits = ctx.workflows.cache.hits
    assert api.approve(step["task_id"], CLERK_OF[step["group"]]).status_code == 200
    assert ctx.workflows.cache.hits >= hits + 2  # the completion, then the worker after it
    assert api.walk_to_end(body["id"])
    assert api.get(f"/api/process-instances/{body['id']}", "portal").get_json()["state"] == "completed"


def test_a_change_another_process_saved_is_loaded_not_taken_from_the_cache(
    api, ctx, application, database_url, clock, registry
):
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    other_ctx = build_context(database_url, clock=clock, registry=registry, specs=SPECS)  # another process
    other = Api(create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=other_ctx).test_client(), api.tokens, None)
    other.worker = Worker(other_ctx, name="other-worker")
    assert other.approve(step["task_id"], CLERK_OF[step["group"]]).status_code == 200
    with ctx.uow() as uow:  # this process still holds the workflow it saved before: an older revision
        workflow = ctx.workflows.load(uow, uow.instances.get(body["id"]), to_change=True)
        assert workflow.get_task_from_id(UUID(step["task_id"])).state == TaskState.COMPLETED
    [after] = api.open_steps(body["id"])
    assert after["task_id"] != step["task_id"]
    assert api.approve(after["task_id"], CLERK_OF[after["group"]]).status_code == 200
