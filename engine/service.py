"""The one interface between the generic engine and a service (一件事): what a service registers, and the
services installed.

A service lives outside the engine -- the newborn birth's is ``handlers/newborn`` with ``forms/newborn`` and
``workflows/newborn`` -- and gives the engine one :class:`Service`, made of a few small parts, each a
Protocol with its real signature:

* what it owns: ``process_keys`` and ``workflows`` (the folder of its process files, deployed into an empty
  database, with ``samples/`` beside them), and its :class:`Departments` (candidate groups, materials,
  items, coordinators);
* ``task_forms`` (:class:`engine.forms.TaskForm`, by form key) and ``register_handlers`` (its topics →
  handlers);
* :class:`StartForm`: what it makes of a start request's variables (:class:`Started`);
* :class:`Projection`: its part of an instance's stored summary, and counting it again on a new calendar;
* :class:`Views`: its part of the instance view, the applicant's progress, what a clerk sees of an
  instance for a task (:class:`TaskView`, sections with Chinese labels), the materials its chosen items need
  and the items a return ends, the keys of its personal data;
* :class:`Retention` (optional): how long its finished instances are kept whole, what their archive record
  keeps, which values besides ``personal_keys`` are personal (PIPL Art. 19; ``engine.retention``);
* :class:`Search`: what an instance can be found by -- the keys of its start (:attr:`Started.search_keys`)
  and of its later steps, and how a typed query reads as those keys;
* ``labels``: every code of its data a person may meet (an option, a decision, a status) in Chinese;
* :class:`DryRun` (optional): its policy's dry run (the portal's check, a new version's samples);
* :class:`Demo` (optional): one instance walked through every step by ``onething demo``.

The engine asks these parts whatever it needs of a service's data and never reads the data by name.
Refusals are the process's own: an instance whose process ends at an end event with ``outcome`` ``refused``
at its start is not started (the start answers 422 with the process variable ``refusals``, nothing is
stored). Services are found through the ``onething.services`` entry points; tests pass their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

from .errors import NotFound
from .forms import FormRegistry, TaskForm
from .handlers import HandlerRegistry

if TYPE_CHECKING:  # only for the signatures: the engine passes these in, a service never builds them
    from .calendar import WorkdayCalendar
    from .dmn import DecisionSet
    from .persistence.models import ProcessInstance, UserTask

SERVICES_GROUP = "onething.services"


# --- what the engine and a service hand each other --------------------------------------------------------


@dataclass(frozen=True)
class Started:
    """A start request as the service reads it."""

    variables: dict  # the process variables the instance starts with
    jurisdiction: str  # the division code it belongs to (who may see it, R8.3)
    region: str
    subject_key: str | None  # one active instance per key (a digest, never personal data); None: no limit
    detail: dict = field(default_factory=dict)  # what the instance_started history entry says
    # what it can be found by: (kind, normalised value), e.g. ("id_number", "62010219920315002X"); the engine
    # keeps only a keyed digest of each (:mod:`engine.search`)
    search_keys: tuple[tuple[str, str], ...] = ()
    applicant_name: str | None = None  # who filed it, and who it is about (e.g. the newborn), as lists show them
    subject_name: str | None = None


@dataclass(frozen=True)
class WorkflowFacts:
    """What the engine reads off a workflow for a service's projection."""

    outcome: str | None  # None while running; else the outcome of the end event reached
    data: dict  # the latest task's data (start variables, decisions' results)
    merged: dict  # results, steps, notices and reviews of every live or finished branch
    active_items: frozenset  # the ``item`` property of every ready or waiting task
    returned: dict | None  # the review that returned the application, if one did


@dataclass(frozen=True)
class Row:
    """One line of a section as a person reads it: a Chinese label and the value in words."""

    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]

    def as_dict(self) -> dict:
        """What ``dataclasses.asdict`` gives, written out: asdict copies every value deeply, about 3 µs a row
        (190 µs for a clerk's task view of 60 rows; this, 8 µs)."""
        return {"title": self.title, "rows": tuple({"label": row.label, "value": row.value} for row in self.rows)}


@dataclass(frozen=True)
class TaskView:
    """What a clerk sees of an instance for one task: ``data`` for clients that lay it out themselves, the
    same as ``sections`` with labels for the workplace."""

    data: dict
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class RequiredMaterial:
    """A material the chosen items of an instance need: its code (as uploads name it), its name, and the names
    of the items that need it."""

    code: str
    name: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampleRequest:
    """A sample request of a service's ``samples/`` folder: the request as the dry run takes it, checked as
    at ``as_of``."""

    request: Any
    as_of: datetime


# --- the parts of a service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Departments:
    """Who works on a service's instances and what they handle; every code is unique among the installed
    services."""

    groups: Mapping[str, str]  # candidate group → department name
    coordinators: frozenset[str] = frozenset()  # groups that see every instance
    materials: Mapping[str, str] = field(default_factory=dict)  # material code → name
    items: Mapping[str, str] = field(default_factory=dict)  # item code → name
    item_groups: Mapping[str, str] = field(default_factory=dict)  # item code → the group handling it


class StartForm(Protocol):
    schema: type | None  # the request's schema, for the OpenAPI document (None: not published)
    subject: str  # what one active instance is about (its ``subject_key``), for the 409 of a second one
    objects: frozenset[str]  # start variables read as objects: text sent for one (a Camunda String) is refused

    def read(self, variables: Mapping[str, Any], now: datetime) -> Started:
        """The start request's variables as the instance starts with them; InvalidInput naming each field."""
        ...


class Projection(Protocol):
    def project(
        self,
        facts: WorkflowFacts,
        previous: Mapping[str, Any],
        created_at: datetime,
        now: datetime,
        calendar: WorkdayCalendar,
    ) -> dict:
        """The service's part of the instance's stored summary (merged into the engine's)."""
        ...

    def recount(self, summary: dict, created_at: datetime, calendar: WorkdayCalendar) -> list[dict]:
        """Count the summary's dates again on ``calendar`` (in place); what changed: ``{"what", "label",
        "from", "to", "from_provisional", "to_provisional"}`` (``label``: the date in Chinese, for history)."""
        ...

    def counted_spans(self, summary: Mapping[str, Any], created_at: datetime) -> list[tuple[datetime, datetime]]:
        """(start, end) of each open date of the summary counted on the working-day calendar (so that a load
        of a year they go through counts them again)."""
        ...


class Views(Protocol):
    personal_keys: frozenset[str]  # keys whose values are personal data (masked for the applicant's side)

    def instance(self, summary: Mapping[str, Any], tasks: Sequence[UserTask], now: datetime, mask: bool) -> dict:
        """The service's part of the instance view."""
        ...

    def progress(self, instance: ProcessInstance, tasks: Sequence[UserTask], now: datetime) -> dict | None:
        """The applicant's progress view (None: the engine's plain one)."""
        ...

    def task(self, data: Mapping[str, Any], activity_id: str) -> TaskView:
        """What a clerk working the task ``activity_id`` sees of the instance, from the task's data."""
        ...

    def required_materials(self, data: Mapping[str, Any]) -> Sequence[RequiredMaterial]:
        """The materials the instance's chosen items need, from a task's data (empty: none listed)."""
        ...

    def ending_on_return(self, summary: Mapping[str, Any], activity_id: str) -> Sequence[str]:
        """The names of what ends if the task ``activity_id`` returns the application (e.g. its items not
        done yet), so that the clerk is told before returning."""
        ...


class Search(Protocol):
    """What an instance can be found by, besides its business key. Values are normalised by the service
    (an ID number upper-cased, a phone without +86); the engine keeps a keyed digest of each, never the value."""

    kinds: Mapping[str, str]  # kind → what it is, in Chinese ("证件号码")

    def keys_after_step(self, summary: Mapping[str, Any]) -> Sequence[tuple[str, str]]:
        """Keys that later steps gave an instance (e.g. the newborn's ID number once registered), from its
        summary; those of its start are :attr:`Started.search_keys`."""
        ...

    def read_query(self, text: str) -> Sequence[tuple[str, str]]:
        """What a typed query may be: (kind, normalised value) for each kind it can be read as."""
        ...

    def keys_of(self, variables: Mapping[str, Any], summary: Mapping[str, Any]) -> Sequence[tuple[str, str]]:
        """Every key an instance has, from its variables and summary: those of its start and of later steps
        (``onething search reindex`` writes them again after the digests' key changed)."""
        ...


class NoSearch:
    """A service found by its business key only."""

    kinds: Mapping[str, str] = {}

    def keys_after_step(self, summary) -> Sequence[tuple[str, str]]:
        return ()

    def read_query(self, text) -> Sequence[tuple[str, str]]:
        return ()

    def keys_of(self, variables, summary) -> Sequence[tuple[str, str]]:
        return ()


class DryRun(Protocol):
    def check(self, decisions: DecisionSet, request: Any, now: datetime, calendar: WorkdayCalendar) -> dict:
        """The policy's answer for a request: ``{"refusals": [...], ...}``; InvalidInput for a bad request."""
        ...

    def sample(self, document: Any) -> SampleRequest:
        """A sample file's JSON as a request and its moment; ValueError or InvalidInput when it is not one."""
        ...


@dataclass(frozen=True)
class Retention:
    """How long a service keeps its finished instances (completed, returned, cancelled) and what remains of them
    (issue 25; PIPL Art. 19: personal information kept no longer than its purpose needs).

    ``archive_after_days`` after an instance ended its workflow state is replaced by a compact record: the
    workflow data's ``kept_data`` keys (decisions, results with the departments' references) and the steps
    done; the summary and the history stay. ``erase_after_days`` after it ended every personal value goes:
    values under the service's :attr:`Views.personal_keys` and the values at ``personal_fields`` (dotted paths
    in the workflow data, such as names), wherever they are stored -- the record, the summary, the history,
    the departments' ledger -- and the materials' files; the history keeps who did what and when. An instance
    under a legal hold is left as it is; an active one is never touched. ``onething retention run`` (and the
    workers, daily) apply it; ``ONETHING_RETENTION`` overrides the days."""

    archive_after_days: int
    erase_after_days: int
    kept_data: frozenset[str]  # top-level keys of the workflow data the record keeps
    personal_fields: frozenset[str] = frozenset()  # paths of values personal too (``application.mother.name``)
    reasoning: str = ""  # why these days (for the README and `retention policy`)


@dataclass(frozen=True)
class Demo:
    """What ``onething demo`` needs to walk one instance of a service through every step over the API."""

    process_key: str
    jurisdiction: str  # where the demo's clerks and applicant work
    request: Callable[[datetime], dict]  # the start variables, as at a moment
    approval: Callable[[str], dict]  # a form key → the variables that approve its task
    messages: Mapping[str, tuple[str, dict]] = field(default_factory=dict)  # message → (step, variables)


class NoProjection:
    """A service with nothing of its own in the summary."""

    def project(self, facts, previous, created_at, now, calendar) -> dict:
        return {}

    def recount(self, summary, created_at, calendar) -> list[dict]:
        return []

    def counted_spans(self, summary, created_at) -> list[tuple[datetime, datetime]]:
        return []


@dataclass(frozen=True, eq=False)  # a service is itself: compared and hashed by identity
class Service:
    name: str
    title: str
    process_keys: frozenset[str]
    workflows: Path
    departments: Departments
    task_forms: Iterable[TaskForm]
    register_handlers: HandlerSet
    start_form: StartForm
    views: Views
    projection: Projection = NoProjection()
    dry_run: DryRun | None = None
    demo: Demo | None = None
    retention: Retention | None = None  # None: its finished instances are kept whole
    business_key_prefix: str = "BK"
    search: Search = NoSearch()
    labels: Mapping[str, str] = field(default_factory=dict)  # a code of its data → its Chinese
    subject_title: str = "办理对象"  # what lists call :attr:`Started.subject_name` (e.g. 新生儿)

    @property
    def samples(self) -> Path:
        return self.workflows / "samples"


class HandlerSet(Protocol):
    def __call__(self, registry: HandlerRegistry) -> None:
        """Register the service's topics → handlers."""
        ...


# --- the services installed ------------------------------------------------------------------------------


class DuplicateCode(ValueError):
    """Two services claim the same process, group, material or item."""


class Services:
    """The services installed, by name and by process key; their groups, forms, materials and handlers. Two
    services claiming the same code is an error at start-up, naming both."""

    def __init__(self, services: list[Service]) -> None:
        self.all = list(services)
        self._by_process: dict[str, Service] = {}
        self.task_forms = FormRegistry()
        self.groups: dict[str, str] = {}
        self.materials: dict[str, str] = {}
        self.item_names: dict[str, str] = {}
        self.item_groups: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        owners: dict[tuple[str, str], str] = {}
        for service in self.all:
            for key in service.process_keys:
                self._claim(owners, "process", key, service)
                self._by_process[key] = service
            self.task_forms.add_all(service.task_forms, service.name)
            parts = service.departments
            for kind, mine, merged in (
                ("group", parts.groups, self.groups),
                ("material", parts.materials, self.materials),
                ("item", parts.items, self.item_names),
            ):
                for code, text in mine.items():
                    self._claim(owners, kind, code, service)
                    merged[code] = text
            self.item_groups.update(parts.item_groups)
        for service in self.all:  # one table of every code a person may meet: the services' own first
            for table in (
                service.labels,
                service.departments.groups,
                service.departments.items,
                service.departments.materials,
            ):
                for code, text in table.items():
                    self.labels.setdefault(code, text)

    @staticmethod
    def _claim(owners: dict[tuple[str, str], str], kind: str, code: str, service: Service) -> None:
        first = owners.setdefault((kind, code), service.name)
        if first != service.name:
            raise DuplicateCode(f"{kind} {code!r} is claimed by the services {first} and {service.name}")

    def for_process(self, key: str) -> Service:
        try:
            return self._by_process[key]
        except KeyError:
            raise NotFound(f"no installed service runs process {key!r}") from None

    def personal_keys(self) -> frozenset[str]:
        """Every installed service's personal-data keys."""
        return frozenset().union(*(s.views.personal_keys for s in self.all))

    def items_of(self, groups) -> dict[str, str]:
        """The items (code → name) the ``groups`` handle (a department's own items, for its filters)."""
        return {code: name for code, name in self.item_names.items() if self.item_groups.get(code) in groups}

    def label(self, code: str | None) -> str | None:
        """A code of any installed service in Chinese (None: no service names it)."""
        return self.labels.get(code) if isinstance(code, str) else None

    def handlers(self) -> HandlerRegistry:
        registry = HandlerRegistry()
        for service in self.all:
            service.register_handlers(registry)
        return registry


def installed_services() -> list[Service]:
    """The services the ``onething.services`` entry points name (the newborn birth's, and any added)."""
    return [entry.load() for entry in sorted(entry_points(group=SERVICES_GROUP), key=lambda e: e.name)]
