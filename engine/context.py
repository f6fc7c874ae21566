"""The engine's dependencies in one object: the database sessions, the installed services and their handlers,
the spec cache, the serializer, the script engine, the clock, the calendar, the job settings (attempts, the
topics external workers run) and the notifier that wakes whoever waits for a change.

``EngineContext`` only holds them and answers what a deployment is (its parsed specs, the service running it);
loading and saving a workflow with everything projected from it is :class:`engine.workflows.WorkflowRepository`
(``ctx.workflows``). It is built, with its configuration read, by :func:`engine.bootstrap.build_context`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from .bpmn.script_engine import JuelScriptEngine
from .business_rules import StateSerializer
from .calendar_source import Calendars
from .clock import Clock
from .definitions import Checks, ParsedDeployment, SpecCache, fingerprint
from .errors import NotFound
from .external_topics import ExternalTopics
from .handlers import HandlerRegistry
from .notify import Notifier
from .persistence import shared_reads
from .persistence.database import Sessions
from .persistence.models import ProcessDefinition, ProcessInstance
from .persistence.unit_of_work import UnitOfWork
from .search import SearchDigests
from .service import Service, Services
from .workflows import WorkflowRepository

DEFAULT_JOB_ATTEMPTS = 5


@dataclass(frozen=True)
class DefinitionRef:
    """What a deployed process version is (rows never change once deployed, so it is kept per process)."""

    id: int
    key: str
    version: int
    deployment_id: int
    name: str | None = None


@dataclass
class EngineContext:
    sessions: Sessions
    services: Services
    registry: HandlerRegistry
    clock: Clock = field(default_factory=Clock)
    specs: SpecCache = field(default_factory=SpecCache)
    serializer: StateSerializer = field(default_factory=StateSerializer)
    max_attempts: int = DEFAULT_JOB_ATTEMPTS  # a job's tries before it is an incident
    external: ExternalTopics = field(default_factory=ExternalTopics)  # topics external workers run
    search: SearchDigests = field(default_factory=SearchDigests)  # digests of what instances are found by
    calendar: Calendars = field(kw_only=True)  # the working-day calendars (the database's official years)
    script_engine: JuelScriptEngine = field(init=False)
    notifier: Notifier = field(init=False)
    workflows: WorkflowRepository = field(init=False)
    _definitions: dict[int, DefinitionRef] = field(init=False, default_factory=dict)
    _fingerprints: dict[int, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.script_engine = JuelScriptEngine(self.clock, self.calendar)
        self.workflows = WorkflowRepository(self)
        self.notifier = Notifier(self.sessions)

    def uow(self) -> UnitOfWork:
        """A writing unit of work; it ends the reads this thread shares (what is read next sees its write)."""
        shared_reads.end()
        return UnitOfWork(self.sessions)

    def reader(self) -> AbstractContextManager[UnitOfWork]:
        """A read-only unit of work (for views and lookups: it cannot commit): the one this thread's request
        shares (:mod:`.persistence.shared_reads`), else one of its own."""
        shared = shared_reads.current(self.sessions)
        return shared.borrowed() if shared is not None else self.own_reader()

    def own_reader(self) -> UnitOfWork:
        """A read-only unit of work of its own, whatever this thread shares."""
        return UnitOfWork(self.sessions, read_only=True)

    def sharing_reads(self) -> AbstractContextManager[shared_reads.SharedReads]:
        """Share one read-only unit of work among this thread's readers for the block (a request)."""
        return shared_reads.sharing(self.sessions, self.own_reader)

    def checks(self) -> Checks:
        return Checks(
            topics=self.registry.topics(),
            form_keys=frozenset(self.services.task_forms.keys()),
            groups=frozenset(self.services.groups),
        )

    def definition(self, uow: UnitOfWork, definition_id: int) -> DefinitionRef:
        """The process version an instance runs (looked up once per process)."""
        found = self._definitions.get(definition_id)
        if found is None:
            row = uow.definitions.get(definition_id)
            if row is None:  # instances refer to their version by a foreign key
                raise NotFound(f"process definition {definition_id} does not exist")
            found = self._definitions[definition_id] = DefinitionRef(
                row.id, row.key, row.version, row.deployment_id, row.name
            )
        return found

    def service_of(self, uow: UnitOfWork, instance: ProcessInstance) -> Service:
        """The service whose process the instance runs."""
        return self.services.for_process(self.definition(uow, instance.definition_id).key)

    def parsed(
        self, uow: UnitOfWork, of: ProcessInstance | ProcessDefinition | DefinitionRef | int
    ) -> ParsedDeployment:
        """The parsed files of a deployment (its number, or the one an instance runs on, or the one that minted
        a process version)."""
        if isinstance(of, int):
            deployment_id = of
        elif isinstance(of, ProcessInstance):  # no deployment: a row an older release wrote runs on its version's
            deployment_id = of.deployment_id or self.definition(uow, of.definition_id).deployment_id
        else:
            deployment_id = of.deployment_id

        def load_files():
            return [(f.filename, f.content) for f in uow.definitions.files(deployment_id)]

        key = self._fingerprints.get(deployment_id)
        if key is None:
            key = self._fingerprints[deployment_id] = fingerprint(uow.definitions.file_digests(deployment_id))
        return self.specs.get(key, load_files)
