"""The stored workflow state: our compact format (``engine.bpmn.compact_state``) round-trips every task and
its data, stores each value once, and states written before it, in the library's own format, still load.

``data/state_library_format.json`` was written by the release before the compact format (the library's
format: each task's changed top-level keys in full): ``mid`` an application waiting at its reviews with
parallel branches open, ``end`` a completed one. ``data/state_compact_format.json``: the same two as the
first writer of our format 2 wrote them (before it was made faster), byte for byte."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from uuid import uuid4

import pytest

from bench import floor
from engine.bpmn import compact_state, data_patch
from engine.business_rules import LibraryStateSerializer, StateSerializer
from engine.handlers import BusinessError
from engine.runtime import advance, refuse

from .test_error_events import done, ready, workflow

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
OLD_STATES = json.loads((Path(__file__).parent / "data" / "state_library_format.json").read_text(encoding="utf-8"))
COMPACT_STATES = json.loads((Path(__file__).parent / "data" / "state_compact_format.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def specs():
    return floor.parse()


def _same_workflows(a, b) -> None:
    assert list(a.tasks) == list(b.tasks)
    for task_id, task in a.tasks.items():
        other = b.tasks[task_id]
        assert (task.task_spec.name, task.state, task._parent, task._children) == (
            other.task_spec.name,
            other.state,
            other._parent,
            other._children,
        )
        assert (task.triggered, task.last_state_change, task.internal_data) == (
            other.triggered,
            other.last_state_change,
            other.internal_data,
        )
        assert data_patch.same(task.data, other.data), task.task_spec.name
    assert data_patch.same(a.data, b.data)
    assert (a.completed, a.success, a.last_task and a.last_task.id) == (
        b.completed,
        b.success,
        b.last_task and b.last_task.id,
    )


@pytest.mark.parametrize("which", ["mid", "end"])
def test_a_state_in_the_library_format_loads_and_is_stored_again_in_ours(specs, which):
    spec, subprocess_specs = specs
    engine = floor.script_engine()
    old = json.dumps(OLD_STATES[which], ensure_ascii=False, separators=(",", ":"))
    assert compact_state.FORMAT_KEY not in OLD_STATES[which]
    as_before = LibraryStateSerializer().loads(old, spec, subprocess_specs, engine)
    serializer = StateSerializer()
    loaded = serializer.loads(old, spec, subprocess_specs, engine)
    _same_workflows(as_before, loaded)
    compact = serializer.dumps(loaded)
    assert json.loads(compact)[compact_state.FORMAT_KEY] == compact_state.FORMAT
    assert serializer.version.endswith(f"+f{compact_state.FORMAT}")
    again = serializer.loads(compact, spec, subprocess_specs, engine)
    _same_workflows(loaded, again)
    assert serializer.dumps(again) == compact
    # the results and notices are no longer written again at every task after them
    assert len(compact) < len(old) * (0.5 if which == "end" else 0.7)


@pytest.mark.parametrize("which", ["mid", "end"])
def test_our_format_is_written_as_its_first_writer_wrote_it_and_reads_back(specs, which):
    """A state stored already loads, and the writer writes the same bytes for the same workflow: the
    format, the order of the tasks and values referred to, what is a reference, nothing changed."""
    spec, subprocess_specs = specs
    engine = floor.script_engine()
    serializer = StateSerializer()
    stored = json.dumps(COMPACT_STATES[which], ensure_ascii=False, separators=(",", ":"))
    loaded = serializer.loads(json.dumps(OLD_STATES[which]), spec, subprocess_specs, engine)
    assert serializer.dumps(loaded) == stored
    again = serializer.loads(stored, spec, subprocess_specs, engine)
    _same_workflows(loaded, again)
    assert serializer.dumps(again) == stored


def test_an_application_loaded_from_the_old_format_runs_to_its_end_in_ours(specs):
    """The waiting application goes on: each wait a round trip through the compact format."""
    spec, subprocess_specs = specs
    engine = floor.script_engine()
    serializer = StateSerializer()
    workflow = serializer.loads(json.dumps(OLD_STATES["mid"]), spec, subprocess_specs, engine)
    application = next(task.data["application"] for task in workflow.tasks.values() if "application" in task.data)
    for _ in range(40):
        if workflow.completed:
            break
        floor.act(workflow, 7, NOW)
        workflow = serializer.loads(serializer.dumps(workflow), spec, subprocess_specs, engine)
    assert workflow.completed
    assert workflow.data["application"] == application and workflow.data["reviews"]


def test_a_patch_goes_down_into_dicts_and_keeps_only_what_changed():
    base = {"application": {"name": "x", "items": [1, 2]}, "results": {"a": {"n": 1}}, "gone": 1, "flag": True}
    data = {"application": {"name": "x", "items": [1, 2]}, "results": {"a": {"n": 1}, "b": {"n": 2}}, "flag": 1}
    patch = data_patch.diff(base, data)
    assert patch == {"s": {"flag": 1}, "n": {"results": {"s": {"b": {"n": 2}}}}, "x": ["gone"]}
    rebuilt = data_patch.apply(base, json.loads(json.dumps(patch)))
    assert data_patch.same(rebuilt, data) and type(rebuilt["flag"]) is int
    rebuilt["results"]["c"] = 3  # the child's own dicts: the parent's are not touched
    assert "c" not in base["results"] and base["gone"] == 1
    assert data_patch.diff(data, data) == {} and data_patch.diff({}, {}) == {}
    assert data_patch.diff(data, {}) == {"x": True} and data_patch.apply(data, {"x": True}) == {}


def test_a_workflow_inside_a_subprocess_round_trips_with_its_subprocess():
    serializer = StateSerializer()
    wf = workflow()
    done(wf, "step_a")
    assert wf.subprocesses  # step_b runs inside one
    loaded = serializer.loads(serializer.dumps(wf), wf.spec, wf.subprocess_specs, wf.script_engine)
    _same_workflows(wf, loaded)
    assert list(loaded.subprocesses) == list(wf.subprocesses)
    for task_id, sub in wf.subprocesses.items():
        _same_workflows(sub, loaded.subprocesses[task_id])
        assert loaded.subprocesses[task_id].parent_task_id == sub.parent_task_id
        for inner_id, inner in sub.tasks.items():  # a view of one task inside it reads the state alone
            assert serializer.task_data(serializer.dumps(wf), inner_id) == (True, inner.data)
    refuse(ready(loaded, "step_b"), BusinessError("x", "编号已被使用"))
    advance(loaded)
    again = serializer.loads(serializer.dumps(loaded), wf.spec, wf.subprocess_specs, wf.script_engine)
    _same_workflows(loaded, again)


@pytest.mark.parametrize("which", ["mid", "end"])
def test_one_tasks_data_read_from_the_state_is_the_restored_tasks(specs, which):
    spec, subprocess_specs = specs
    serializer = StateSerializer()
    workflow = serializer.loads(json.dumps(OLD_STATES[which]), spec, subprocess_specs, floor.script_engine())
    state = serializer.dumps(workflow)
    for task_id, task in workflow.tasks.items():
        says, data = serializer.task_data(state, task_id)
        assert says and data_patch.same(data, task.data), task.task_spec.name
    assert serializer.task_data(state, uuid4()) == (True, None)
    assert serializer.task_data(json.dumps(OLD_STATES[which]), task_id) == (False, None)  # that one is loaded
