"""Repositories: the queries the use cases need, one class per aggregate."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Iterable, Protocol, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, false, func, insert, not_, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .dml import rowcount
from .models import (
    AuditEvent,
    CalendarImport,
    CalendarYear,
    CountedYear,
    Deployment,
    DeploymentFile,
    DeploymentProcess,
    HistoryEvent,
    IdempotencyRecord,
    Job,
    LedgerEntry,
    MessageSubscription,
    NumberSeries,
    ProcessDefinition,
    ProcessInstance,
    User,
    UserTask,
)

INTEGER_RANGE = range(-(2**31), 2**31)  # an INTEGER column: PostgreSQL's int4 (SQLite's is wider)


def storable(number: int) -> bool:
    """Whether ``number`` fits an INTEGER column. A lookup by one that does not is no row, never a database
    error (``/deployment/99999999999999999999999`` is "not found", not an OverflowError)."""
    return number in INTEGER_RANGE


# statements every instance view and save runs, made once (building one costs more than running it)
_TASKS_OF_INSTANCE = (
    select(UserTask).where(UserTask.instance_id == bindparam("instance_id")).order_by(UserTask.created_at)
)
_INCIDENTS_OF_INSTANCE = select(Job).where(Job.instance_id == bindparam("instance_id"), Job.state == "incident")
_SUBSCRIPTIONS_OF_INSTANCE = select(MessageSubscription).where(
    MessageSubscription.instance_id == bindparam("instance_id")
)


class Definitions:
    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _live(query):
        """Only versions of deployments that were not deleted."""
        return query.join(Deployment, Deployment.id == ProcessDefinition.deployment_id).where(
            Deployment.deleted_at.is_(None)
        )

    def latest(self, key: str) -> ProcessDefinition | None:
        """The newest version of ``key`` whose deployment was not deleted."""
        return self.session.scalars(
            self._live(select(ProcessDefinition))
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        ).first()

    def max_version(self, key: str) -> int:
        """The highest version number ``key`` was given (deleted ones too: numbers are never reused)."""
        return self.session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key)) or 0

    def run_by(self, deployment_id: int, definition_id: int) -> None:
        """Record that ``deployment_id`` runs the version ``definition_id``."""
        self.session.add(DeploymentProcess(deployment_id=deployment_id, definition_id=definition_id))

    def deployment_running(self, definition_id: int) -> int | None:
        """The newest deployment (not deleted) that runs this version: where its new instances take their
        decisions from."""
        return self.session.scalar(
            select(func.max(DeploymentProcess.deployment_id))
            .join(Deployment, Deployment.id == DeploymentProcess.deployment_id)
            .where(DeploymentProcess.definition_id == definition_id, Deployment.deleted_at.is_(None))
        )

    def run_in(self, deployment_id: int) -> list[ProcessDefinition]:
        """The process versions a deployment runs (minted by it or carried unchanged), by key."""
        return list(
            self.session.scalars(
                select(ProcessDefinition)
                .join(DeploymentProcess, DeploymentProcess.definition_id == ProcessDefinition.id)
                .where(DeploymentProcess.deployment_id == deployment_id)
                .order_by(ProcessDefinition.key)
            )
        )

    def latest_deployment_of(self, keys: list[str]) -> Deployment | None:
        """The newest deployment (not deleted) running a version of one of ``keys`` (a service's processes)."""
        return self.session.scalars(
            select(Deployment)
            .join(DeploymentProcess, DeploymentProcess.deployment_id == Deployment.id)
            .join(ProcessDefinition, ProcessDefinition.id == DeploymentProcess.definition_id)
            .where(ProcessDefinition.key.in_(keys), Deployment.deleted_at.is_(None))
            .order_by(Deployment.id.desc())
            .limit(1)
        ).first()

    def latest_deployment_with_file(self, filenames: list[str]) -> Deployment | None:
        """The newest deployment (not deleted) running some process and holding a file of one of these names."""
        return self.session.scalars(
            select(Deployment)
            .join(DeploymentFile, DeploymentFile.deployment_id == Deployment.id)
            .where(
                DeploymentFile.filename.in_(filenames),
                Deployment.deleted_at.is_(None),
                Deployment.id.in_(select(DeploymentProcess.deployment_id)),
            )
            .order_by(Deployment.id.desc())
            .limit(1)
        ).first()

    def latest_named(self, name: str | None, source: str | None) -> Deployment | None:
        """The newest deployment (not deleted) of this name and source (Camunda's duplicate filtering)."""
        return self.session.scalars(
            self._deployments_query(name, source, exact=True).order_by(Deployment.id.desc()).limit(1)
        ).first()

    def latest_files_named(self, name: str | None, source: str | None, filenames: list[str]) -> dict[str, str]:
        """File name -> SHA-256 of the newest file of each of ``filenames`` among the deployments (not deleted)
        of this name and source."""
        named = self._deployments_query(name, source, exact=True).with_only_columns(Deployment.id)
        rows = self.session.execute(
            select(DeploymentFile.filename, DeploymentFile.sha256)
            .where(DeploymentFile.deployment_id.in_(named), DeploymentFile.filename.in_(filenames))
            .order_by(DeploymentFile.deployment_id)
        )
        return {filename: sha for filename, sha in rows}

    def instances_on(self, deployment_id: int, active_only: bool) -> list[str]:
        """Ids of the instances running on a deployment's files (only those still active with
        ``active_only``), oldest first."""
        minted = select(ProcessDefinition.id).where(ProcessDefinition.deployment_id == deployment_id)
        query = select(ProcessInstance.id).where(
            or_(
                ProcessInstance.deployment_id == deployment_id,
                ProcessInstance.deployment_id.is_(None) & ProcessInstance.definition_id.in_(minted),
            )
        )
        if active_only:
            query = query.where(ProcessInstance.state == "active")
        return list(self.session.scalars(query.order_by(ProcessInstance.created_at)))

    def delete_deployment(self, deployment: Deployment, by: str, at: datetime) -> None:
        deployment.deleted_at, deployment.deleted_by = at, by

    def get(self, definition_id: int) -> ProcessDefinition | None:
        return self.session.get(ProcessDefinition, definition_id) if storable(definition_id) else None

    def by_version(self, key: str, version: int) -> ProcessDefinition | None:
        if not storable(version):
            return None
        return self.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
        ).first()

    def all(self) -> list[ProcessDefinition]:
        return list(
            self.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version))
        )

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0

    def _matching(self, key: str | None, latest_only: bool):
        query = self._live(select(ProcessDefinition))
        if key is not None:
            query = query.where(ProcessDefinition.key == key)
        if latest_only:
            newest = (
                self._live(select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version")))
                .group_by(ProcessDefinition.key)
                .subquery()
            )
            query = query.join(
                newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version)
            )
        return query

    def matching(
        self, key: str | None, latest_only: bool, offset: int, limit: int | None
    ) -> tuple[list[ProcessDefinition], int]:
        """Versions of ``key`` (of every process when None; only each one's newest with ``latest_only``),
        ordered by key and version, one page of them, and how many match."""
        query = self._matching(key, latest_only)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = query.order_by(ProcessDefinition.key, ProcessDefinition.version).offset(offset)
        return list(self.session.scalars(page.limit(limit) if limit is not None else page)), total

    def file_digests(self, deployment_id: int) -> list[tuple[str, str]]:
        """(file name, SHA-256) of a deployment's files, without reading their content."""
        return [
            (filename, sha256)
            for filename, sha256 in self.session.execute(
                select(DeploymentFile.filename, DeploymentFile.sha256).where(
                    DeploymentFile.deployment_id == deployment_id
                )
            )
        ]

    @staticmethod
    def _deployments_query(name: str | None, source: str | None, exact: bool = False):
        """Deployments not deleted, of ``name`` and ``source`` (None: any; with ``exact``, None: none given)."""
        query = select(Deployment).where(Deployment.deleted_at.is_(None))
        for column, value in ((Deployment.name, name), (Deployment.source, source)):
            if value is not None:
                query = query.where(column == value)
            elif exact:
                query = query.where(column.is_(None))
        return query

    def deployments(
        self, first: int, limit: int | None, name: str | None = None, source: str | None = None
    ) -> list[Deployment]:
        query = self._deployments_query(name, source).order_by(Deployment.id).offset(first)
        return list(self.session.scalars(query.limit(limit) if limit is not None else query))

    def count_deployments(self, name: str | None = None, source: str | None = None) -> int:
        return (
            self.session.scalar(select(func.count()).select_from(self._deployments_query(name, source).subquery())) or 0
        )

    def of_deployment(self, deployment_id: int) -> list[ProcessDefinition]:
        return list(
            self.session.scalars(
                select(ProcessDefinition)
                .where(ProcessDefinition.deployment_id == deployment_id)
                .order_by(ProcessDefinition.key)
            )
        )

    def deployment(self, deployment_id: int) -> Deployment | None:
        return self.session.get(Deployment, deployment_id) if storable(deployment_id) else None

    def files(self, deployment_id: int) -> list[DeploymentFile]:
        return list(
            self.session.scalars(
                select(DeploymentFile).where(DeploymentFile.deployment_id == deployment_id).order_by(DeploymentFile.id)
            )
        )

    def add_deployment(
        self,
        files: list[tuple[str, bytes]],
        who: str,
        at: datetime,
        forced_over: list[dict] | None = None,
        name: str | None = None,
        source: str | None = None,
    ) -> Deployment:
        deployment = Deployment(
            deployed_at=at, deployed_by=who, forced_over=forced_over or None, name=name, source=source
        )
        self.session.add(deployment)
        self.session.flush()
        for filename, content in files:
            self.session.add(
                DeploymentFile(
                    deployment_id=deployment.id,
                    filename=filename,
                    content=content,
                    sha256=hashlib.sha256(content).hexdigest(),
                )
            )
        return deployment

    def add(self, definition: ProcessDefinition) -> None:
        self.session.add(definition)


class Instances:
    def __init__(self, session: Session):
        self.session = session

    def get(self, instance_id: str) -> ProcessInstance | None:
        return self.session.get(ProcessInstance, instance_id)

    def locked(self, instance_id: str) -> ProcessInstance | None:
        """The instance, row-locked for the transaction: another writer of it waits until this one ends."""
        return self.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()

    def by_business_key(self, business_key: str) -> ProcessInstance | None:
        return self.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == business_key)).first()

    def add(self, instance: ProcessInstance) -> None:
        self.session.add(instance)

    def active_for_subject(self, subject_key: str) -> ProcessInstance | None:
        return self.session.scalars(
            select(ProcessInstance).where(ProcessInstance.subject_key == subject_key, ProcessInstance.state == "active")
        ).first()


class Tasks:
    def __init__(self, session: Session):
        self.session = session

    def get(self, task_id: str) -> UserTask | None:
        return self.session.get(UserTask, task_id)

    def add(self, task: UserTask) -> None:
        self.session.add(task)

    def open_for_instance(self, instance_id: str) -> list[UserTask]:
        return list(
            self.session.scalars(
                select(UserTask)
                .where(UserTask.instance_id == instance_id, UserTask.completed_at.is_(None))
                .order_by(UserTask.created_at)
            )
        )

    def for_instance(self, instance_id: str) -> list[UserTask]:
        return list(self.session.scalars(_TASKS_OF_INSTANCE, {"instance_id": instance_id}))

    def completed_by(self, name: str, offset: int, limit: int) -> tuple[list[UserTask], int]:
        """Tasks ``name`` completed, latest first."""
        query = select(UserTask).where(UserTask.completed_by == name)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(UserTask.completed_at.desc()).offset(offset).limit(limit))
        return list(rows), total

    def _open_of(self, groups: list[str], jurisdictions: list[str]):
        return select(UserTask).where(
            UserTask.completed_at.is_(None),
            UserTask.candidate_group.in_(groups),
            or_(*[UserTask.jurisdiction.startswith(prefix) for prefix in jurisdictions]),
        )

    def queue_counts(self, groups: list[str], jurisdictions: list[str], user: str, now: datetime) -> dict[str, int]:
        """How many open tasks of ``groups`` in ``jurisdictions`` there are: in all, held by ``user``,
        unclaimed, and late now -- in one statement."""
        tasks = self._open_of(groups, jurisdictions).subquery()
        row = self.session.execute(
            select(
                func.count(),
                func.count().filter(tasks.c.assignee == user),
                func.count().filter(tasks.c.assignee.is_(None)),
                func.count().filter(tasks.c.due_at < now),
            ).select_from(tasks)
        ).one()
        return {"all": row[0], "mine": row[1], "unclaimed": row[2], "overdue": row[3]}

    def late_in(self, jurisdictions: list[str], now: datetime) -> list[UserTask]:
        """Open tasks in ``jurisdictions`` past their due moment, the longest overdue first."""
        if not jurisdictions:
            return []
        return list(
            self.session.scalars(
                select(UserTask)
                .where(
                    UserTask.completed_at.is_(None),
                    UserTask.due_at < now,
                    or_(*[UserTask.jurisdiction.startswith(p) for p in jurisdictions]),
                )
                .order_by(UserTask.due_at, UserTask.id)
            )
        )

    # the queue's orders: a column of the task or of its instance
    QUEUE_ORDERS = {
        "due": UserTask.due_at,
        "filed": ProcessInstance.created_at,
        "applicant": ProcessInstance.applicant_name,
        "subject": ProcessInstance.subject_name,
        "district": UserTask.jurisdiction,
        "follow_up": UserTask.follow_up_on,
    }

    def queue(
        self,
        groups: list[str],
        jurisdictions: list[str],
        assignee: str | None,
        unassigned: bool,
        overdue_at: datetime | None,
        offset: int,
        limit: int,
        item: str | None = None,
        due_before: datetime | None = None,
        order: str = "due",
        descending: bool = False,
        follow_up_by: date | None = None,
    ) -> tuple[list[tuple[UserTask, ProcessInstance]], int]:
        """Open tasks of ``groups`` in ``jurisdictions`` (prefixes) with their instances, soonest due first or
        by ``order`` (:attr:`QUEUE_ORDERS`; ``item``: of one item; ``due_before``: due by then, e.g. the end of
        today; ``follow_up_by``: with a follow-up date by then)."""
        query = self._open_of(groups, jurisdictions)
        if assignee is not None:
            query = query.where(UserTask.assignee == assignee)
        if unassigned:
            query = query.where(UserTask.assignee.is_(None))
        if overdue_at is not None:
            query = query.where(UserTask.due_at < overdue_at)
        if item is not None:
            query = query.where(UserTask.item == item)
        if due_before is not None:
            query = query.where(UserTask.due_at <= due_before)
        if follow_up_by is not None:
            query = query.where(UserTask.follow_up_on <= follow_up_by)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        column = self.QUEUE_ORDERS.get(order, UserTask.due_at)
        rows = (
            tuple(row)
            for row in self.session.execute(
                query.add_columns(ProcessInstance)
                .join(ProcessInstance, ProcessInstance.id == UserTask.instance_id)
                .order_by(
                    column.is_(None),
                    column.desc() if descending else column,
                    UserTask.due_at.is_(None),
                    UserTask.due_at,
                    UserTask.created_at,
                    UserTask.id,
                )
                .offset(offset)
                .limit(limit)
            )
        )
        return list(rows), total

    def with_instances(self, tasks: list[UserTask]) -> list[tuple[UserTask, ProcessInstance]]:
        """The tasks, each with its instance (one query)."""
        ids = {task.instance_id for task in tasks}
        found = (
            {row.id: row for row in self.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))}
            if ids
            else {}
        )
        return [(task, found[task.instance_id]) for task in tasks]

    def in_jurisdictions(
        self, jurisdictions: list[str], since: datetime | None, until: datetime | None
    ) -> list[UserTask]:
        """User tasks (open and done) of applications in ``jurisdictions``, created in [since, until)."""
        if not jurisdictions:
            return []
        query = select(UserTask).where(or_(*[UserTask.jurisdiction.startswith(p) for p in jurisdictions]))
        if since is not None:
            query = query.where(UserTask.created_at >= since)
        if until is not None:
            query = query.where(UserTask.created_at < until)
        return list(self.session.scalars(query))

    def claim(self, task_id: str, user: str) -> bool:
        """Atomically give an open, unclaimed task to ``user``; False if someone else holds it."""
        result = self.session.execute(
            update(UserTask)
            .where(
                UserTask.id == task_id,
                UserTask.completed_at.is_(None),
                or_(UserTask.assignee.is_(None), UserTask.assignee == user),
            )
            .values(assignee=user)
        )
        return rowcount(result) == 1

    def give(self, task_id: str, holder: str, to: str) -> bool:
        """Atomically pass an open task that ``holder`` holds, or nobody does, to ``to``."""
        result = self.session.execute(
            update(UserTask)
            .where(
                UserTask.id == task_id,
                UserTask.completed_at.is_(None),
                or_(UserTask.assignee.is_(None), UserTask.assignee == holder),
            )
            .values(assignee=to)
        )
        return rowcount(result) == 1

    def unclaim(self, task_id: str, user: str) -> bool:
        result = self.session.execute(
            update(UserTask)
            .where(UserTask.id == task_id, UserTask.completed_at.is_(None), UserTask.assignee == user)
            .values(assignee=None)
        )
        return rowcount(result) == 1


_HISTORY = cast(Table, HistoryEvent.__table__)
_HISTORY_COLUMNS = tuple(column.key for column in _HISTORY.columns if not column.primary_key)


def _history_values(event: HistoryEvent) -> dict:
    return {key: getattr(event, key) for key in _HISTORY_COLUMNS}


class History:
    """An instance's history. The events a transaction records are written together when it commits (one
    INSERT of many rows, not one per event between the transaction's other statements)."""

    def __init__(self, session: Session):
        self.session = session
        self._pending: list[HistoryEvent] = []

    def add(self, event: HistoryEvent) -> None:
        self._pending.append(event)

    def write(self) -> None:
        """Write the events recorded so far, after what the session has pending (an instance before its
        events): the unit of work does before it flushes or commits."""
        if self._pending:
            pending, self._pending = self._pending, []
            self.session.flush()
            self.session.execute(insert(_HISTORY), [_history_values(event) for event in pending])

    def for_instance(self, instance_id: str) -> list[HistoryEvent]:
        self.write()  # what this transaction recorded is read too
        return list(
            self.session.scalars(
                select(HistoryEvent)
                .where(HistoryEvent.instance_id == instance_id)
                .order_by(HistoryEvent.at, HistoryEvent.id)
            )
        )


class Audit:
    """What was done with data outside any one application (exports of tables naming people)."""

    def __init__(self, session: Session):
        self.session = session

    def record(self, event: AuditEvent) -> None:
        self.session.add(event)

    def recent(self, limit: int) -> list[AuditEvent]:
        return list(
            self.session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
        )


_USERS = User.__table__
_ACCESS_BY_TOKEN = select(_USERS.c.name, _USERS.c.roles, _USERS.c.groups, _USERS.c.jurisdictions).where(
    _USERS.c.token_hash == bindparam("token_hash"), _USERS.c.revoked_at.is_(None)
)


class Users:
    def __init__(self, session: Session):
        self.session = session

    def by_token_hash(self, token_hash: str) -> User | None:
        return self.session.scalars(select(User).where(User.token_hash == token_hash)).first()

    def access_by_token_hash(self, token_hash: str):
        """(name, roles, groups, jurisdictions) of the unrevoked user of this token, or None: one Core
        statement made once, on the session's connection (every API call asks it)."""
        return self.session.connection().execute(_ACCESS_BY_TOKEN, {"token_hash": token_hash}).first()

    def all(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.name)))

    def by_name(self, name: str) -> User | None:
        return self.session.scalars(select(User).where(User.name == name)).first()

    def add(self, user: User) -> None:
        self.session.add(user)


class SqlLedger:
    """The department systems' memory (handlers' ``Ledger`` port), in the step's transaction."""

    def __init__(self, session: Session):
        self.session = session

    def recall(self, department: str, key: str) -> dict | None:
        entry = self.session.get(LedgerEntry, (department, key))
        return None if entry is None else entry.value

    def remember(self, department: str, key: str, value: dict) -> None:
        self.session.add(LedgerEntry(department=department, key=key, value=value))
        self.session.flush()

    def next_number(self, series: str) -> int:
        """Atomic on both databases, in one statement: the series' next number (1 for a new series)."""
        dialect = self.session.get_bind().dialect.name
        upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        return self.session.execute(
            upsert(NumberSeries)
            .values(series=series, last=1)
            .on_conflict_do_update(index_elements=["series"], set_={"last": NumberSeries.last + 1})
            .returning(NumberSeries.last)
        ).scalar_one()


class TopicSet(Protocol):
    """Topics by name and by department (the part before the dot), or every topic: the ones handed to external
    workers (:class:`engine.external_topics.ExternalTopics`)."""

    @property
    def topics(self) -> frozenset[str]: ...

    @property
    def departments(self) -> frozenset[str]: ...

    @property
    def everything(self) -> bool: ...


def _of_topics(given: TopicSet):
    """The condition "a job of one of ``given``'s topics"."""
    if given.everything:
        return Job.topic.is_not(None)
    parts: list[ColumnElement[bool]] = [Job.topic.in_(sorted(given.topics))] if given.topics else []
    parts += [Job.topic.startswith(f"{department}.", autoescape=True) for department in sorted(given.departments)]
    return or_(*parts) if parts else false()


def _in_jurisdictions(jurisdictions: Iterable[str]):
    """The condition "the job's instance lies in one of ``jurisdictions``" (division-code prefixes)."""
    prefixes = list(jurisdictions)
    if not prefixes:
        return false()
    return Job.instance_id.in_(
        select(ProcessInstance.id).where(
            or_(*[ProcessInstance.jurisdiction.startswith(prefix, autoescape=True) for prefix in prefixes])
        )
    )


# what the worker keeps of a job it takes (engine.worker.TakenJob)
_TAKEN = (
    Job.id,
    Job.instance_id,
    Job.business_key,
    Job.task_id,
    Job.kind,
    Job.topic,
    Job.activity_id,
    Job.attempts,
    Job.request_id,
)


def _due(now: datetime, limit: int, skip_locked: bool, external: TopicSet | None):
    """Ids of up to ``limit`` due, unlocked jobs, the earliest due first, none of the ``external`` topics;
    ``skip_locked``: rows another transaction holds are skipped (PostgreSQL)."""
    query = (
        select(Job.id)
        .where(Job.state == "ready", Job.due_at <= now, or_(Job.locked_until.is_(None), Job.locked_until < now))
        .order_by(Job.due_at)
        .limit(limit)
    )
    if external is not None:
        query = query.where(or_(Job.topic.is_(None), not_(_of_topics(external))))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return query


class Jobs:
    def __init__(self, session: Session):
        self.session = session

    def add(self, job: Job) -> None:
        self.session.add(job)

    @staticmethod
    def release(job: Job) -> None:
        """Give a job's lock back: any worker may take it when it is due."""
        job.locked_by = None
        job.locked_until = None
        job.locked_at = None

    @staticmethod
    def hold(job: Job, worker: str, now: datetime, until: datetime) -> None:
        """Give a job to ``worker`` from ``now`` until ``until``."""
        job.locked_by, job.locked_at, job.locked_until = worker, now, until

    def get(self, job_id: str) -> Job | None:
        return self.session.get(Job, job_id)

    def for_instance(self, instance_id: str, *, lock: bool = False) -> list[Job]:
        """The instance's jobs (row-locked for the transaction when ``lock``)."""
        query = select(Job).where(Job.instance_id == instance_id)
        if lock:  # in one order, as every locker of several of them
            query = query.order_by(Job.id).with_for_update()
        return list(self.session.scalars(query))

    def incidents_of(self, instance_id: str) -> list[Job]:
        return list(self.session.scalars(_INCIDENTS_OF_INSTANCE, {"instance_id": instance_id}))

    def incidents(self, offset: int, limit: int) -> tuple[list[Job], int]:
        query = select(Job).where(Job.state == "incident")
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(Job.updated_at.desc()).offset(offset).limit(limit))
        return list(rows), total

    def candidates(self, now: datetime, limit: int, skip_locked: bool, external: TopicSet | None = None) -> list[str]:
        """Ids of due, unlocked jobs (on PostgreSQL rows locked by another worker are skipped), but none of the
        ``external`` topics (external workers take those)."""
        return list(self.session.scalars(_due(now, limit, skip_locked, external)))

    def take_due(
        self,
        worker: str,
        now: datetime,
        until: datetime,
        limit: int,
        skip_locked: bool,
        external: TopicSet | None = None,
    ) -> list[tuple]:
        """Take up to ``limit`` of the :meth:`candidates` that are still free, in one statement (``UPDATE …
        WHERE id IN (…) RETURNING``): their (id, instance_id, business_key, task_id, kind, topic, activity_id,
        attempts, request_id), the earliest due first."""
        rows = self.session.execute(
            update(Job)
            .where(
                Job.id.in_(_due(now, limit, skip_locked, external)),
                Job.state == "ready",
                or_(Job.locked_until.is_(None), Job.locked_until < now),
            )
            .values(locked_by=worker, locked_until=until, locked_at=now)
            .returning(*_TAKEN, Job.due_at)
            .execution_options(synchronize_session=False)
        ).all()
        return [tuple(row[:-1]) for row in sorted(rows, key=lambda row: row[-1])]

    def lock(self, job_id: str, worker: str, now: datetime, until: datetime) -> bool:
        """Take a job if it is still free; False if another worker took it first."""
        result = self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "ready", or_(Job.locked_until.is_(None), Job.locked_until < now))
            .values(locked_by=worker, locked_until=until, locked_at=now)
        )
        return rowcount(result) == 1

    def extend(self, job_ids: list[str], worker: str, until: datetime) -> int:
        """Keep this worker's locks on ``job_ids`` until ``until`` (the heartbeat); how many it still held."""
        result = self.session.execute(
            update(Job).where(Job.id.in_(job_ids), Job.locked_by == worker).values(locked_until=until)
        )
        return rowcount(result)

    def locked_row(self, job_id: str) -> Job | None:
        """The job, row-locked for the transaction (PostgreSQL: another worker's answer waits for this one)."""
        return self.session.scalars(
            select(Job).where(Job.id == job_id).with_for_update().execution_options(populate_existing=True)
        ).first()

    def held(self, job_id: str, worker: str, lock: bool) -> Job | None:
        """The job if this worker still holds it (row-locked for the transaction when ``lock``)."""
        query = select(Job).where(Job.id == job_id, Job.locked_by == worker)
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def delete(self, job: Job) -> None:
        self.session.delete(job)

    # -- external workers -----------------------------------------------------------------------

    def free_for_topic(
        self,
        topic: str,
        jurisdictions: Iterable[str],
        now: datetime,
        limit: int,
        skip_locked: bool,
        business_key: str | None = None,
        definition_keys: Iterable[str] | None = None,
        definition_ids: Iterable[int] | None = None,
    ) -> list[str]:
        """Ids of the service tasks of ``topic`` an external worker may take now (due, unlocked or their lock
        expired) in ``jurisdictions``, the oldest first; narrowed to one application (``business_key``) or to
        processes (``definition_keys``, ``definition_ids``)."""
        query = (
            select(Job.id)
            .where(
                Job.kind == "service_task",
                Job.topic == topic,
                Job.state == "ready",
                Job.due_at <= now,
                or_(Job.locked_until.is_(None), Job.locked_until < now),
                _in_jurisdictions(jurisdictions),
            )
            .order_by(Job.due_at, Job.created_at, Job.id)
            .limit(limit)
        )
        if business_key is not None:
            query = query.where(Job.business_key == business_key)
        if definition_keys is not None or definition_ids is not None:
            definitions = select(ProcessDefinition.id)
            if definition_keys is not None:
                definitions = definitions.where(ProcessDefinition.key.in_(list(definition_keys)))
            if definition_ids is not None:
                definitions = definitions.where(ProcessDefinition.id.in_([i for i in definition_ids if storable(i)]))
            query = query.where(
                Job.instance_id.in_(select(ProcessInstance.id).where(ProcessInstance.definition_id.in_(definitions)))
            )
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        return list(self.session.scalars(query))

    def next_free(self, topics: Iterable[str], jurisdictions: Iterable[str], now: datetime) -> datetime | None:
        """The next moment after ``now`` at which a job of ``topics`` may become free to take (it falls due, or
        its lock expires), if any is known; never later than the real moment."""
        matching = [
            Job.kind == "service_task",
            Job.topic.in_(list(topics)),
            Job.state == "ready",
            _in_jurisdictions(jurisdictions),
        ]
        due = self.session.scalar(select(func.min(Job.due_at)).where(*matching, Job.due_at > now))
        expiring = self.session.scalar(select(func.min(Job.locked_until)).where(*matching, Job.locked_until > now))
        moments = [moment for moment in (due, expiring) if moment is not None]
        return min(moments) if moments else None

    def external(
        self,
        external: TopicSet,
        jurisdictions: Iterable[str],
        *,
        job_id: str | None = None,
        topic: str | None = None,
        worker: str | None = None,
        locked: bool | None = None,
        instance_id: str | None = None,
        business_key: str | None = None,
        with_retries_left: bool | None = None,
        now: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[Job], int]:
        """The service tasks of ``external`` topics in ``jurisdictions``, filtered, oldest first, and their
        count. ``locked``: held by a worker now (True) or not (False); ``with_retries_left``: not an incident
        (True) or one (False)."""
        query = select(Job).where(Job.kind == "service_task", _of_topics(external), _in_jurisdictions(jurisdictions))
        for column, value in (
            (Job.id, job_id),
            (Job.topic, topic),
            (Job.locked_by, worker),
            (Job.instance_id, instance_id),
            (Job.business_key, business_key),
        ):
            if value is not None:
                query = query.where(column == value)
        if locked is not None and now is not None:
            held = and_(Job.locked_until.is_not(None), Job.locked_until >= now)
            query = query.where(held if locked else not_(held))
        if with_retries_left is not None:
            query = query.where((Job.state == "ready") if with_retries_left else (Job.state == "incident"))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = query.order_by(Job.created_at, Job.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.scalars(query)), total

    def incidents_where(
        self,
        jurisdictions: Iterable[str],
        *,
        job_id: str | None = None,
        instance_id: str | None = None,
        activity_id: str | None = None,
        external: TopicSet | None = None,
        in_process: bool | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[Job], int]:
        """Incidents in ``jurisdictions``, filtered, the latest first, and their count; ``in_process``: only
        those of jobs the in-process worker runs (True) or external workers (False), by ``external``."""
        query = select(Job).where(Job.state == "incident", _in_jurisdictions(jurisdictions))
        for column, value in ((Job.id, job_id), (Job.instance_id, instance_id), (Job.activity_id, activity_id)):
            if value is not None:
                query = query.where(column == value)
        if in_process is not None and external is not None:
            outside = and_(Job.kind == "service_task", _of_topics(external))
            query = query.where(not_(outside) if in_process else outside)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = query.order_by(Job.updated_at.desc(), Job.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.scalars(query)), total

    def waiting_by_topic(self, external: TopicSet, now: datetime) -> dict[str, dict[str, int]]:
        """For each ``external`` topic with jobs: how many wait for a worker, are held by one, are incidents."""
        held = and_(Job.locked_until.is_not(None), Job.locked_until >= now)
        rows = self.session.execute(
            select(
                Job.topic,
                func.count().filter(Job.state == "ready", not_(held)),
                func.count().filter(Job.state == "ready", held),
                func.count().filter(Job.state == "incident"),
            )
            .where(Job.kind == "service_task", _of_topics(external))
            .group_by(Job.topic)
        )
        return {
            topic: {"waiting": waiting, "locked": locked, "incidents": incidents}
            for topic, waiting, locked, incidents in rows
            if topic is not None  # (never: every condition of _of_topics wants a topic)
        }


class Subscriptions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, subscription: MessageSubscription) -> None:
        self.session.add(subscription)

    def for_instance(self, instance_id: str) -> list[MessageSubscription]:
        return list(self.session.scalars(_SUBSCRIPTIONS_OF_INSTANCE, {"instance_id": instance_id}))

    def of_business_key(self, business_key: str) -> list[MessageSubscription]:
        """The messages the applications of ``business_key`` wait for, the earliest first: every subscription of
        each of their instances."""
        return list(
            self.session.scalars(
                select(MessageSubscription)
                .where(MessageSubscription.business_key == business_key)
                .order_by(MessageSubscription.created_at)
            )
        )

    def delete(self, subscription: MessageSubscription) -> None:
        self.session.delete(subscription)


class IdempotencyRecords:
    def __init__(self, session: Session):
        self.session = session

    def get(self, principal: str, key: str) -> IdempotencyRecord | None:
        return self.session.get(IdempotencyRecord, (principal, key))

    def add(self, record: IdempotencyRecord) -> None:
        self.session.add(record)


class CalendarYears:
    """The official years of the working-day calendar and the record of every import."""

    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[CalendarYear]:
        return list(self.session.scalars(select(CalendarYear).order_by(CalendarYear.year)))

    def get(self, year: int, *, for_update: bool = False) -> CalendarYear | None:
        if not storable(year):
            return None
        query = select(CalendarYear).where(CalendarYear.year == year)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def add(self, row: CalendarYear) -> None:
        self.session.add(row)

    def record(self, entry: CalendarImport) -> None:
        self.session.add(entry)

    def import_entry(self, entry_id: int) -> CalendarImport | None:
        return self.session.get(CalendarImport, entry_id) if storable(entry_id) else None

    def imports(self, year: int) -> list[CalendarImport]:
        return list(
            self.session.scalars(select(CalendarImport).where(CalendarImport.year == year).order_by(CalendarImport.id))
        )

    def revision(self) -> int:
        """Grows with every change of the official years (the newest import's id; 0: none yet)."""
        return self.session.scalar(select(func.max(CalendarImport.id))) or 0

    def lock(self) -> None:
        """Serialise imports and seeding across processes (PostgreSQL; SQLite has one writer anyway)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x0CA1E7DA})


class CountedYears:
    """Which years each active instance's open dates were counted through, on which version of their days."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._read: dict[str, list[CountedYear]] = {}  # read once per unit of work; replace() keeps it

    def _rows(self, instance_id: str) -> list[CountedYear]:
        if instance_id not in self._read:
            self._read[instance_id] = list(
                self.session.scalars(select(CountedYear).where(CountedYear.instance_id == instance_id))
            )
        return self._read[instance_id]

    def for_instance(self, instance_id: str) -> dict[int, str]:
        return {row.year: row.version for row in self._rows(instance_id)}

    def replace(self, instance_id: str, counted: dict[int, str]) -> None:
        """Make the instance's rows ``counted`` (year → version), writing only what differs."""
        rows = {row.year: row for row in self._rows(instance_id)}
        kept = []
        for year, row in rows.items():
            version = counted.get(year)
            if version is None:
                self.session.delete(row)
                continue
            if version != row.version:
                row.version = version
            kept.append(row)
        for year, version in counted.items():
            if year not in rows:
                row = CountedYear(instance_id=instance_id, year=year, version=version)
                self.session.add(row)
                kept.append(row)
        self._read[instance_id] = kept

    def versions(self) -> list[tuple[int, str]]:
        """Every (year, version) some active instance was counted on."""
        return [
            (year, version)
            for year, version in self.session.execute(
                select(CountedYear.year, CountedYear.version).distinct().order_by(CountedYear.year)
            )
        ]

    def instances_counted_on(self, pairs: list[tuple[int, str]]) -> list[str]:
        """The active instances counted on one of ``pairs`` (year, version), the oldest first."""
        if not pairs:
            return []
        matches = or_(*[(CountedYear.year == year) & (CountedYear.version == version) for year, version in pairs])
        return list(
            self.session.scalars(
                select(ProcessInstance.id)
                .where(
                    ProcessInstance.state == "active",
                    ProcessInstance.id.in_(select(CountedYear.instance_id).where(matches)),
                )
                .order_by(ProcessInstance.created_at)
            )
        )
