"""A unit of work in memory, for use-case tests where a database adds nothing (issue 14).

It has the repositories the account, deployment, definition and dry-run use cases use -- users,
definitions (with deployments and their files) -- over plain dicts and lists; ``commit`` makes what a use
case wrote visible to the next unit of work, leaving it (an exception) throws it away, as a transaction
would. :func:`fake_context` is an engine context over it.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace

from engine.calendar_source import StaticCalendarSource
from engine.clock import Clock
from engine.context import EngineContext
from engine.service import Services
from tests.support.calendars import PACKAGE_CALENDAR


@dataclass
class Store:
    """What the fake database holds between units of work."""

    users: dict = field(default_factory=dict)
    deployments: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    definitions: dict = field(default_factory=dict)
    runs: list = field(default_factory=list)  # (deployment id, definition id): the versions a deployment runs
    decisions: dict = field(default_factory=dict)
    commits: int = 0
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))


class FakeUsers:
    def __init__(self, state: dict):
        self.state = state

    def by_name(self, name):
        return next((u for u in self.state["users"].values() if u.name == name), None)

    def by_token_hash(self, token_hash):
        return self.state["users"].get(token_hash)

    def access_by_token_hash(self, token_hash):
        user = self.by_token_hash(token_hash)
        if user is None or user.revoked_at is not None:
            return None
        return user.name, user.roles, user.groups, user.jurisdictions

    def add(self, user):
        user.id = len(self.state["users"]) + 1
        self.state["users"][user.token_hash] = user


class FakeDefinitions:
    def __init__(self, state: dict, ids):
        self.state, self.ids = state, ids

    def all(self):
        return sorted(self.state["definitions"].values(), key=lambda d: (d.key, d.version))

    def _live(self, definition) -> bool:
        return self.state["deployments"][definition.deployment_id].deleted_at is None

    def latest(self, key):
        found = [d for d in self.state["definitions"].values() if d.key == key and self._live(d)]
        return max(found, key=lambda d: d.version, default=None)

    def max_version(self, key):
        return max((d.version for d in self.state["definitions"].values() if d.key == key), default=0)

    def run_by(self, deployment_id, definition_id):
        self.state["runs"].append((deployment_id, definition_id))

    def deployment_running(self, definition_id):
        return max(
            (
                d
                for d, v in self.state["runs"]
                if v == definition_id and self.state["deployments"][d].deleted_at is None
            ),
            default=None,
        )

    def run_in(self, deployment_id):
        return sorted(
            (self.state["definitions"][v] for d, v in self.state["runs"] if d == deployment_id), key=lambda d: d.key
        )

    def _live_deployments(self):
        return sorted((d for d in self.state["deployments"].values() if d.deleted_at is None), key=lambda d: -d.id)

    def latest_deployment_of(self, keys):
        return next((d for d in self._live_deployments() if any(v.key in keys for v in self.run_in(d.id))), None)

    def latest_deployment_with_file(self, filenames):
        return next(
            (
                d
                for d in self._live_deployments()
                if self.run_in(d.id) and {name for name, _ in self.state["files"][d.id]} & set(filenames)
            ),
            None,
        )

    def latest_named(self, name, source):
        return next((d for d in self._live_deployments() if (d.name, d.source) == (name, source)), None)

    def latest_files_named(self, name, source, filenames):
        found = {}
        for deployment in reversed(self._live_deployments()):
            if (deployment.name, deployment.source) == (name, source):
                found.update((n, sha) for n, sha in self.file_digests(deployment.id) if n in filenames)
        return found

    def instances_on(self, deployment_id, active_only):
        return []

    def get(self, definition_id):
        return self.state["definitions"].get(definition_id)

    def by_version(self, key, version):
        return next((d for d in self.state["definitions"].values() if (d.key, d.version) == (key, version)), None)

    def count(self):
        return len(self.state["definitions"])

    def matching(self, key, latest_only, offset, limit):
        found = [d for d in self.all() if key is None or d.key == key]
        if latest_only:
            found = [d for d in found if d is self.latest(d.key)]
        return found[offset : None if limit is None else offset + limit], len(found)

    def files(self, deployment_id):
        return [SimpleNamespace(filename=name, content=content) for name, content in self.state["files"][deployment_id]]

    def file_digests(self, deployment_id):
        return [(name, hashlib.sha256(content).hexdigest()) for name, content in self.state["files"][deployment_id]]

    def deployment(self, deployment_id):
        return self.state["deployments"].get(deployment_id)

    def add_deployment(self, files, who, at, forced_over=None, name=None, source=None):
        deployment = SimpleNamespace(
            id=next(self.ids),
            deployed_by=who,
            deployed_at=at,
            forced_over=forced_over,
            name=name,
            source=source,
            deleted_at=None,
            deleted_by=None,
        )
        self.state["deployments"][deployment.id] = deployment
        self.state["files"][deployment.id] = list(files)
        return deployment

    def of_deployment(self, deployment_id):
        return sorted(
            (d for d in self.state["definitions"].values() if d.deployment_id == deployment_id), key=lambda d: d.key
        )

    def add(self, definition):
        definition.id = next(self.ids)
        self.state["definitions"][definition.id] = definition


class FakeDecisions:
    def __init__(self, state: dict, ids):
        self.state, self.ids = state, ids

    def add(self, definition):
        definition.id = next(self.ids)
        self.state["decisions"][definition.id] = definition

    def latest(self, key):
        found = [
            d
            for d in self.state["decisions"].values()
            if d.key == key and self.state["deployments"][d.deployment_id].deleted_at is None
        ]
        return max(found, key=lambda d: d.version, default=None)

    def latest_any(self, key):
        return max((d for d in self.state["decisions"].values() if d.key == key), key=lambda d: d.version, default=None)

    def of_deployment(self, deployment_id):
        return sorted(
            (d for d in self.state["decisions"].values() if d.deployment_id == deployment_id), key=lambda d: d.key
        )


class FakeUnitOfWork:
    def __init__(self, store: Store, read_only: bool):
        self.store, self.read_only = store, read_only

    def __enter__(self):
        self.state = {
            name: copy.copy(getattr(self.store, name))
            for name in ("users", "deployments", "files", "definitions", "runs", "decisions")
        }
        self.users = FakeUsers(self.state)
        self.definitions = FakeDefinitions(self.state, self.store.ids)
        self.decisions = FakeDecisions(self.state, self.store.ids)
        return self

    def __exit__(self, *exc):
        return False  # what was not committed is gone

    def flush(self):
        pass

    def commit(self):
        assert not self.read_only, "a read-only unit of work cannot commit"
        for name, value in self.state.items():
            setattr(self.store, name, value)
        self.store.commits += 1

    @property
    def is_postgresql(self) -> bool:
        return False


class FakeContext(EngineContext):
    """An engine context whose units of work are :class:`FakeUnitOfWork` over one :class:`Store`."""

    store: Store

    def uow(self):
        return FakeUnitOfWork(self.store, read_only=False)

    def reader(self):
        return FakeUnitOfWork(self.store, read_only=True)


def fake_context(services, clock: Clock | None = None) -> FakeContext:
    installed = Services(list(services))
    ctx = FakeContext(
        sessions=None,
        services=installed,
        registry=installed.handlers(),
        clock=clock or Clock(),
        calendar=StaticCalendarSource(PACKAGE_CALENDAR),
    )
    ctx.store = Store()
    return ctx
