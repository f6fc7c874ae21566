"""The one interface between the generic engine and a service (一件事): what a service registers, and the
services installed.

A service lives outside the engine -- the newborn birth's is ``handlers/newborn`` with ``forms/newborn`` and
``workflows/newborn`` -- and gives the engine one :class:`Service`:

* ``process_keys`` and ``workflows``: the processes it owns and the folder of its process files (deployed
  into an empty database), with ``samples/`` beside them (every new version is dry-run on them);
* ``groups``: its departments, the candidate groups of its user tasks (clerks belong to them);
* ``task_forms``: the forms of its user tasks, by form key; ``register_handlers``: its topics → handlers;
* ``start``: what it makes of a start request's variables (:class:`Started`: the process variables, the
  jurisdiction, a uniqueness key) -- invalid input is ``InvalidInput``;
* ``project`` / ``recount``: its part of an instance's stored summary (e.g. items and their due dates),
  and counting that part again when a holiday notice is loaded;
* ``view`` / ``progress``: its part of the instance view and the applicant's progress view;
* ``check``: the dry run of its policy for an application (the portal's check, the deployment's samples);
* ``materials`` (codes → names an applicant may upload) and ``item_names`` (for oversight).

Refusals are the process's own: an instance whose process ends at an end event with ``outcome`` ``refused``
at its start is not started (the start answers 422 with the process variable ``refusals``, nothing is
stored). Services are found through the ``onething.services`` entry points; tests pass their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable, Mapping

from forms.task_forms import TaskForms

from .errors import NotFound
from .handlers import HandlerRegistry

SERVICES_GROUP = "onething.services"


@dataclass(frozen=True)
class Started:
    """A start request as the service reads it."""

    variables: dict         # the process variables the instance starts with
    jurisdiction: str       # the division code it belongs to (who may see it, R8.3)
    region: str
    unique_key: str | None  # one active instance per key (a digest, never personal data); None: no limit
    detail: dict = field(default_factory=dict)  # what the instance_started history entry says


@dataclass(frozen=True)
class WorkflowFacts:
    """What the engine reads off a workflow for a service's projection."""

    outcome: str | None      # None while running; else the outcome of the end event reached
    data: dict               # the latest task's data (start variables, decisions' results)
    merged: dict             # results, steps, notices and reviews of every live or finished branch
    active_items: frozenset  # the ``item`` property of every ready or waiting task
    returned: dict | None    # the review that returned the application, if one did


def _nothing(*args, **kwargs) -> dict:
    return {}


@dataclass(frozen=True, eq=False)  # a service is itself: compared and hashed by identity
class Service:
    name: str
    title: str
    process_keys: frozenset[str]
    workflows: Path
    groups: Mapping[str, str]
    task_forms: TaskForms
    register_handlers: Callable[[HandlerRegistry], None]
    start: Callable[[Any, datetime], Started]
    business_key_prefix: str = "BK"
    project: Callable[..., dict] = _nothing          # (facts, previous, created_at, now, calendar) -> summary part
    recount: Callable[..., list] = lambda summary, created_at, calendar: []
    view: Callable[..., dict] = _nothing             # (summary, tasks, now, mask) -> instance view part
    progress: Callable[..., dict] | None = None      # (instance, tasks, now) -> progress view
    check: Callable[..., dict] | None = None         # (decisions, raw application, now, calendar) -> dry run
    materials: Mapping[str, str] = field(default_factory=dict)
    item_names: Mapping[str, str] = field(default_factory=dict)
    coordinators: frozenset[str] = frozenset()  # groups that see every application (the joint service center)
    start_schema: type | None = None  # the start form's marshmallow schema, for the OpenAPI document

    @property
    def samples(self) -> Path:
        return self.workflows / "samples"


class Services:
    """The services installed, by name and by process key; their groups, forms, materials and handlers."""

    def __init__(self, services: list[Service]) -> None:
        self.all = list(services)
        self._by_process: dict[str, Service] = {}
        self.task_forms = TaskForms()
        self.groups: dict[str, str] = {}
        self.materials: dict[str, str] = {}
        self.item_names: dict[str, str] = {}
        for service in self.all:
            for key in service.process_keys:
                if key in self._by_process:
                    raise ValueError(f"process {key!r} belongs to {self._by_process[key].name} and {service.name}")
                self._by_process[key] = service
            for form in service.task_forms:
                self.task_forms.register(form)
            self.groups.update(service.groups)
            self.materials.update(service.materials)
            self.item_names.update(service.item_names)

    def for_process(self, key: str) -> Service:
        try:
            return self._by_process[key]
        except KeyError:
            raise NotFound(f"no installed service runs process {key!r}") from None

    def handlers(self) -> HandlerRegistry:
        registry = HandlerRegistry()
        for service in self.all:
            service.register_handlers(registry)
        return registry


def installed_services() -> list[Service]:
    """The services the ``onething.services`` entry points name (the newborn birth's, and any added)."""
    return [entry.load() for entry in sorted(entry_points(group=SERVICES_GROUP), key=lambda e: e.name)]
