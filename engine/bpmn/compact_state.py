"""Our own format (``FORMAT``) for a workflow's tasks and data, about a quarter of the library's size.

The library's format (``serializer_version`` 1.5) writes for each task its id twice, its parent's id, its
children's ids, and its data as the top-level keys that changed from its parent's, each in full. Here a
task is written once, as a list, with its children's positions (its parent is the task that lists it),
and its data as a nested patch of its parent's (:mod:`engine.bpmn.data_patch`): the application, each
department's result and each notice are stored once per instance, not again in every task that follows. A
workflow's own data (its final data once it completes) is a patch of its last task's.

    {"format": 2, "root": n, "last_task": n, "success": ..., "completed": ..., "correlations": {...},
     "data": patch, "tasks": [[id, spec name, state, last state change, [children's positions],
     {"g": true (triggered), "i": internal data, "d": patch of the parent's data, "D": data of a root}], ...],
     "subprocesses": {task id: the same, with "spec" and "parent_task_id"}, "bpmn_events": [...]}

(a task's id in 22 characters: :func:`short_id`).

A patch refers to a dict or list stored already by ``[task position, *path in its data]``, of a task before
it in :func:`tree_order` (e.g. a join's data holds the results each branch stored).

Parts that are empty or false are left out. States in the library's format still load
(:class:`engine.bpmn.serializer.StateOnlyWorkflowConverter`).
"""

from __future__ import annotations

import base64
import functools
import heapq
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.task import Task, TaskState

from . import data_patch

FORMAT = 2
FORMAT_KEY = "format"
ID_CACHE = 1 << 13  # tasks' ids in both forms: those of the workflows a process keeps (64 x ~50 tasks) and more


def workflow_to_dict(workflow, registry) -> dict:
    """The top workflow (with its subprocesses and events) in our format, without its specs."""
    dct = {FORMAT_KEY: FORMAT, **_tasks_to_dict(workflow, registry)}
    dct["subprocesses"] = {
        str(task_id): {
            **_tasks_to_dict(sub, registry),
            "spec": sub.spec.name,
            "parent_task_id": str(sub.parent_task_id),
        }
        for task_id, sub in workflow.subprocesses.items()
    }
    dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
    return dct


@functools.lru_cache(maxsize=ID_CACHE)
def short_id(task_id: UUID) -> str:
    """A task's id in 22 characters (URL-safe base64 of its 16 bytes) instead of 36."""
    return base64.urlsafe_b64encode(task_id.bytes)[:22].decode("ascii")


@functools.lru_cache(maxsize=ID_CACHE)
def long_id(text: str) -> UUID:
    return UUID(bytes=base64.urlsafe_b64decode(text + "=="))


def tree_order(root: int, children: list[list[int]], changed: list[float]) -> list[tuple[int, int | None]]:
    """(position, its parent's) of a workflow's tasks from the one at ``root`` down, each after its parent
    and otherwise in the order their states last changed (``changed``, by position; ``children``: each
    task's children's positions): the order tasks' data is written and restored in, so a value a patch
    refers to is one an earlier patch stored -- a department's result is stored by the service task that got
    it (it completed first), and the join after its branch refers to it."""
    found: list[tuple[int, int | None]] = []
    ready: list[tuple[float, int, int | None]] = [(changed[root], root, None)]
    while ready:
        _, position, parent = heapq.heappop(ready)
        found.append((position, parent))
        for child in children[position]:
            heapq.heappush(ready, (changed[child], child, position))
    return found


def _tasks_to_dict(workflow, registry) -> dict:
    tasks = list(workflow.tasks.values())
    index = {task_id: position for position, task_id in enumerate(workflow.tasks)}
    entries: list[list[Any]] = []
    extras: list[dict[str, Any]] = []
    children: list[list[int]] = []
    for task in tasks:
        extra: dict[str, Any] = {}
        if task.triggered:
            extra["g"] = True
        if task.internal_data:
            extra["i"] = registry.convert(task.internal_data)
        extras.append(extra)
        children.append([index[child] for child in task._children])
        entries.append(
            [short_id(task.id), task.task_spec.name, task.state, task.last_state_change, children[-1], extra]
        )
    earlier = data_patch.Stored()  # every dict and list stored so far -> [task position, *path]
    in_tree = [False] * len(tasks)
    changed = [task.last_state_change for task in tasks]
    for position, parent in tree_order(index[workflow.task_tree.id], children, changed):
        in_tree[position] = True
        data = tasks[position].data
        written: Iterable[tuple[tuple, Any]]
        if parent is None:
            if data:
                extras[position]["D"] = data
                written = data_patch.stored({"s": data})
            else:
                written = ()
        else:
            patch = data_patch.diff(tasks[parent].data, data, earlier)
            if patch:
                extras[position]["d"] = patch
            written = data_patch.stored(patch)
        for path, value in written:
            earlier.add(value, [position, *path])
    for position, task in enumerate(tasks):  # none is outside the tree; kept whole if ever one is
        if not in_tree[position] and task.data:
            extras[position]["D"] = task.data
    for row in entries:
        if not row[-1]:
            row.pop()
    dct = {
        "root": index[workflow.task_tree.id],
        "last_task": index.get(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": entries,
    }
    if workflow.correlations:
        dct["correlations"] = workflow.correlations
    data = registry.convert(registry.clean(workflow.data))
    if data:
        base = workflow.last_task.data if workflow.last_task is not None else {}
        dct["data"] = data_patch.diff(base, data)
    return dct


def workflow_from_dict(dct: dict, workflow, registry) -> None:
    """Restore ``dct`` (our format) into ``workflow``, a new top workflow made on its specs."""
    _tasks_from_dict(dct, workflow, registry)
    for task in list(workflow.tasks.values()):
        _subprocess_from_dict(dct["subprocesses"], task, workflow, registry)
    workflow.bpmn_events = registry.restore(dct.get("bpmn_events", []))


def _subprocess_from_dict(subprocesses: dict, task, top_workflow, registry) -> None:
    """The subprocess a task runs, if any, and theirs in turn (parents before children, as the library)."""
    if not isinstance(task.task_spec, SubWorkflowTask) or str(task.id) not in subprocesses:
        return
    dct = subprocesses[str(task.id)]
    spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
    sub = BpmnSubWorkflow(spec, task.id, top_workflow, deserializing=True)
    _tasks_from_dict(dct, sub, registry)
    top_workflow.subprocesses[task.id] = sub
    sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
    for inner in list(sub.tasks.values()):
        _subprocess_from_dict(subprocesses, inner, top_workflow, registry)


def _tasks_from_dict(dct: dict, workflow, registry) -> None:
    entries = dct["tasks"]
    events = workflow.top_workflow.event_manager
    tasks, extras = [], []
    for entry in entries:
        spec = workflow.spec.task_specs.get(entry[1])
        task = Task(workflow, spec, state=entry[2], id=long_id(entry[0]))  # adds itself to workflow.tasks
        task.last_state_change = entry[3]
        extra = entry[5] if len(entry) > 5 else {}
        task.triggered = extra.get("g", False)
        task.internal_data = registry.restore(extra["i"]) if "i" in extra else {}
        if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            events.add_task(task)
        tasks.append(task)
        extras.append(extra)
    for task, entry in zip(tasks, entries, strict=True):
        task._children = [tasks[child].id for child in entry[4]]
        for child in entry[4]:
            tasks[child]._parent = task.id

    def resolve(reference: list):
        value = tasks[reference[0]].data
        for step in reference[1:]:
            value = value[step]
        return value

    root = tasks[dct["root"]]
    workflow.task_tree = root
    children = [entry[4] for entry in entries]
    for position, parent in tree_order(dct["root"], children, [entry[3] for entry in entries]):
        extra = extras[position]
        tasks[position].data = (
            extra.get("D", {}) if parent is None else data_patch.apply(tasks[parent].data, extra.get("d", {}), resolve)
        )
    for task, extra in zip(tasks, extras, strict=True):
        if "D" in extra and task.parent is not None:  # outside the tree (never written so far)
            task.data = extra["D"]
    workflow.success = dct["success"]
    workflow.completed = dct.get("completed", False)
    workflow.correlations = dct.get("correlations", {})
    workflow.last_task = tasks[dct["last_task"]] if dct.get("last_task") is not None else None
    base = workflow.last_task.data if workflow.last_task is not None else {}
    workflow.data = registry.restore(data_patch.apply(base, dct["data"])) if "data" in dct else {}


def task_data(dct: dict, task_id: UUID) -> dict | None:
    """One task's data from a state in our format, without restoring the workflow (a view of one task reads
    only the patches on its way down from the root, and those they refer to); None if no task has that id."""
    wanted = short_id(task_id)
    for workflow in (dct, *dct.get("subprocesses", {}).values()):
        entries = workflow["tasks"]
        for position, entry in enumerate(entries):
            if entry[0] == wanted:
                return _DataOf(entries).of(position)
    return None


class _DataOf:
    """Tasks' data of one workflow's entries, each worked out once, from the root down."""

    def __init__(self, entries: list) -> None:
        self.entries = entries
        self.parent = {child: position for position, entry in enumerate(entries) for child in entry[4]}
        self.done: dict[int, dict] = {}

    def of(self, position: int) -> dict:
        chain = []
        while position not in self.done:
            chain.append(position)
            if position not in self.parent:
                break
            position = self.parent[position]
        for position in reversed(chain):
            extra = self.entries[position][5] if len(self.entries[position]) > 5 else {}
            if position in self.parent:
                base = self.done[self.parent[position]]
                self.done[position] = data_patch.apply(base, extra.get("d", {}), self.resolve)
            else:
                self.done[position] = extra.get("D", {})
        return self.done[chain[0]] if chain else self.done[position]

    def resolve(self, reference: list):
        value = self.of(reference[0])
        for step in reference[1:]:
            value = value[step]
        return value
