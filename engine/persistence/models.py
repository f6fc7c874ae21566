"""The tables. Instances keep SpiffWorkflow's state (without the spec); open user tasks and history are
projected into their own tables so that task lists and audits never deserialize a workflow."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator):
    """Aware datetimes stored as UTC; SQLite's naive values come back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict: JSON, list: JSON}


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(255))  # what the deployer called it (Camunda's deployment-name)
    source: Mapped[str | None] = mapped_column(String(255))  # where it came from (Camunda Modeler, api, bundled)
    # a forced deployment: the dry-run findings on the sample applications it went over (None: none)
    forced_over: Mapped[list | None]
    # deleted (Camunda's DELETE /deployment/{id}): hidden, its versions no longer started; kept for the history
    # of the instances that ran on it
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[str | None] = mapped_column(String(100))


class DeploymentFile(Base):
    __tablename__ = "deployment_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(100))


class DeploymentProcess(Base):
    """A process version a deployment runs: the versions it minted (their BPMN changed) and the versions whose
    BPMN it carries unchanged (a deployment of decision tables only). New instances of a version run on the
    newest deployment that runs it: its decisions."""

    __tablename__ = "deployment_processes"
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), primary_key=True, index=True)


class DecisionDefinition(Base):
    """A version of a decision (a DMN ``<decision>``): minted by the deployment that changed the file holding
    it; evaluated with the decisions of that deployment."""

    __tablename__ = "decision_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(100))


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    business_key: Mapped[str] = mapped_column(String(100), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    # the deployment whose files it runs on: its version's BPMN and the decisions of that moment (None: a row an
    # older release wrote, which runs on its version's deployment); deployments are only ever marked deleted
    deployment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    region: Mapped[str] = mapped_column(String(40))
    jurisdiction: Mapped[str] = mapped_column(String(12), index=True)
    started_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    workflow_state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(10))
    summary: Mapped[dict]
    subject_key: Mapped[str | None] = mapped_column(String(64))
    # retention (engine/retention.py): a hold an admin set keeps the instance as it is; a finished one's
    # workflow state is replaced by its compact record (``archive``), then its personal values are erased
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    archived_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    archive: Mapped[dict | None]
    # who filed it and who it is about, as the clerks' lists show them (the service's Started names)
    applicant_name: Mapped[str | None] = mapped_column(String(100))
    subject_name: Mapped[str | None] = mapped_column(String(100))
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": revision}
    __table_args__ = (
        # one active instance per subject (the service's digest, never personal data: for a newborn, a hash
        # of the mother's ID and the birth time)
        Index(
            "ux_instances_active_subject",
            "subject_key",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )


UNKNOWN_VERSION = "unknown"  # dates counted on more than one version of a year's days: count them again


class CountedYear(Base):
    """A year an active instance's open dates were counted through, and on which of its days (R5.1): the
    version of the year's working days then (:attr:`engine.calendar.workdays.YearDays.version`), or
    ``unknown`` when they were counted on more than one. An instance with a version that is no longer the
    calendar's -- its year was loaded, replaced or amended since -- is counted again. Only active instances
    have rows."""

    __tablename__ = "instance_calendar_years"
    __table_args__ = (Index("ix_instance_calendar_years_year_version", "year", "version"),)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[str] = mapped_column(String(20))


class UserTask(Base):
    __tablename__ = "user_tasks"
    __table_args__ = (Index("ix_user_tasks_open_queue", "completed_at", "candidate_group", "due_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(100))
    activity_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    item: Mapped[str | None] = mapped_column(String(40))
    form_key: Mapped[str | None] = mapped_column(String(255))
    candidate_group: Mapped[str] = mapped_column(String(40))
    jurisdiction: Mapped[str] = mapped_column(String(12))
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))
    # the department's refusal that brought the application back to this task (a caught business error):
    # {"code", "message", "activity_id", "activity_name", "department", "at"}
    refusal: Mapped[dict | None]
    reason: Mapped[str | None] = mapped_column(Text)  # the reason the clerk gave on completing it (a return's)
    follow_up_on: Mapped[date | None] = mapped_column(Date)  # the clerk's own date to look at it again


class SearchKey(Base):
    """What an instance can be found by (:mod:`engine.search`): a keyed digest of a kind and a normalised
    value (an ID number, a phone, a name), never the value itself."""

    __tablename__ = "search_keys"
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class HistoryEvent(Base):
    __tablename__ = "history_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    activity_id: Mapped[str | None] = mapped_column(String(255))
    activity_name: Mapped[str | None] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(40))
    item: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[list]
    groups: Mapped[list]
    jurisdictions: Mapped[list]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # people sign in with a password too (HTTP Basic for Camunda Modeler): a slow salted hash (argon2id);
    # failures are counted in sign_in_throttles, sessions of the pages kept in web_sessions
    password_hash: Mapped[str | None] = mapped_column(String(200))


class WebSession(Base):
    """A session of the pages: the cookie carries a random id, the database only its SHA-256; what the
    session holds (who signed in, the CSRF token, messages for the next page) is kept here."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str | None] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"), index=True)
    data: Mapped[dict]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)


class SignInThrottle(Base):
    """Failed password checks counted for one source: an account from one client address (``account`` and
    ``address``), an address whatever the account (``account`` empty) or an account from anywhere
    (``address`` empty). ``account`` is the SHA-256 of the name typed (known or not). The failures count
    while ``until`` is ahead; at the limit the source is locked until then. ``succeeded_at``: the last
    right password from this account and address (a known address)."""

    __tablename__ = "sign_in_throttles"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    until: Mapped[datetime] = mapped_column(index=True)
    succeeded_at: Mapped[datetime | None]


class LedgerEntry(Base):
    """A department system's record of one idempotent call."""

    __tablename__ = "ledger_entries"
    department: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict]


class NumberSeries(Base):
    __tablename__ = "number_series"
    series: Mapped[str] = mapped_column(String(200), primary_key=True)
    last: Mapped[int]


class Job(Base):
    """Work for the background worker: a service task to run or a timer to fire, with retries; a service task of
    a topic handed to external workers waits for one of them (``/engine-rest/external-task``)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_acquire", "state", "due_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(100))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(100))
    activity_id: Mapped[str] = mapped_column(String(255))
    activity_name: Mapped[str | None] = mapped_column(String(255))
    properties: Mapped[dict]
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    locked_by: Mapped[str | None] = mapped_column(String(100))  # the worker (in process, or an external one's id)
    locked_until: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]  # since when it holds the job
    last_error: Mapped[str | None] = mapped_column(Text)  # technical: the exception's class and message
    error_code: Mapped[str | None] = mapped_column(String(100))  # a business error's code (nothing caught it)
    error_message: Mapped[str | None] = mapped_column(Text)  # what went wrong, in Chinese, for the admins
    request_id: Mapped[str | None] = mapped_column(String(64))  # the request that made it (its log lines' id)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MessageSubscription(Base):
    """An instance waiting for a named message (a catch event), found by business key without loading it."""

    __tablename__ = "message_subscriptions"
    __table_args__ = (Index("ix_subscriptions_lookup", "business_key", "message_name"),)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(100))
    message_name: Mapped[str] = mapped_column(String(100))
    activity_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class IdempotencyRecord(Base):
    """The first answer to a POST with an ``Idempotency-Key``, returned again for the same key."""

    __tablename__ = "idempotency_records"
    principal: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(200))
    status: Mapped[int]
    response: Mapped[dict]
    created_at: Mapped[datetime]


class CalendarYear(Base):
    """A year's official holiday notice (R5.1): the days off and make-up working days, and their source.
    A year without a row is provisional (statutory holidays only)."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(20))  # "package" (seeded from chinesecalendar) or "notice"
    title: Mapped[str] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(100))
    days: Mapped[dict]  # {"holidays": [{"name", "days": [...]}], "workdays": [...]}
    fingerprint: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(100))


class CalendarImport(Base):
    """Every load of a year's notice, kept: who, when, what, and how many applications it recomputed."""

    __tablename__ = "calendar_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))  # loaded, replaced, unchanged, refused
    detail: Mapped[dict]


class AuditEvent(Base):
    """What someone did with data outside any one application: an export of a table naming people (its kind,
    the table, the filters and how many rows; never the rows themselves)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict]
