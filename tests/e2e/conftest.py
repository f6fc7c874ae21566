"""Fixtures for HTTP tests: an app on a fresh database (SQLite, or PostgreSQL in the second run), a movable
clock, and users per role."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from api import create_app
from engine.bootstrap import build_context
from engine.clock import CHINA, CLOCK_START_VARIABLE, Clock
from engine.usecases.accounts import add_user
from engine.worker import Worker
from handlers.newborn import default_registry
from handlers.newborn.samples import approval_for, sample_application
from tests.support.databases import SPECS, fresh_database

USERS = {
    "portal": dict(roles=["portal"], groups=[], jurisdictions=["62"]),
    "other_portal": dict(roles=["portal"], groups=[], jurisdictions=["62"]),
    "service_center": dict(roles=["clerk"], groups=["service_center"], jurisdictions=["62"]),
    "midwifery": dict(roles=["clerk"], groups=["midwifery"], jurisdictions=["62"]),
    "midwifery2": dict(roles=["clerk"], groups=["midwifery"], jurisdictions=["6201"]),
    "police": dict(roles=["clerk"], groups=["police"], jurisdictions=["620102"]),
    "police_guizhou": dict(roles=["clerk"], groups=["police"], jurisdictions=["52"]),
    "analyst": dict(roles=["analyst"], groups=[], jurisdictions=[]),
    "supervisor": dict(roles=["supervisor"], groups=[], jurisdictions=["62"]),
    "admin": dict(roles=["admin"], groups=[], jurisdictions=["62"]),
    "worker": dict(roles=["worker"], groups=["police"], jurisdictions=["62"]),  # a department's system
}


CLERK_OF = {"service_center": "service_center", "midwifery": "midwifery", "police": "police"}


class Api:
    """A thin client that speaks as one user at a time, the way the portal and clerks do.

    After each POST the background worker runs until it has nothing due, as `onething serve` would
    shortly after (``drain=False`` to look at the state before it does).
    """

    def __init__(self, client, tokens, worker):
        self.client = client
        self.tokens = tokens
        self.worker = worker
        self._certificates = itertools.count(1)

    def call(self, method, path, user=None, drain=True, **kwargs):
        headers = kwargs.pop("headers", {})
        if user:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        if method == "POST" and drain:
            self.worker.run_until_idle()
        return response

    def get(self, path, user=None, **kw):
        return self.call("GET", path, user, **kw)

    def post(self, path, user=None, **kw):
        return self.call("POST", path, user, **kw)

    def start(self, application, user="portal", drain=True, headers=None, **extra):
        return self.post(
            "/api/process-definitions/newborn_birth/start",
            user,
            drain=drain,
            headers=headers or {},
            json={"variables": {"application": application}, **extra},
        )

    def message(self, name, business_key, user="portal", **variables):
        return self.post(
            "/api/messages", user, json={"name": name, "business_key": business_key, "variables": variables}
        )

    def open_steps(self, instance_id, user="portal"):
        return self.get(f"/api/process-instances/{instance_id}", user).get_json()["open_steps"]

    def walk_to_end(self, instance_id, max_rounds=10):
        """Approve every open step with the clerk of its group, and send every message the application
        waits for (R2.8 the visit to the police station, R2.10 the premium), until it ends or stalls;
        returns the steps and messages seen."""
        seen = []
        for _ in range(max_rounds):
            instance = self.get(f"/api/process-instances/{instance_id}", "portal").get_json()
            if instance["state"] != "active" or not (instance["waiting_for"] or instance["open_steps"]):
                return seen
            for waiting in instance["waiting_for"]:
                seen.append(waiting["message"])
                response = self.message(waiting["message"], instance["business_key"])
                assert response.status_code == 200, response.get_json()
            for step in instance["open_steps"]:
                seen.append(step["activity_id"])
                clerk = CLERK_OF[step["group"]]
                assert self.post(f"/api/tasks/{step['task_id']}/claim", clerk).status_code == 200
                response = self.approve(step["task_id"], clerk)
                assert response.status_code == 200, response.get_json()
        raise AssertionError("the application did not finish")

    def approve(self, task_id, clerk, seq=None):
        """Approve with the task's form; each approval gets its own certificate number."""
        seq = next(self._certificates) if seq is None else seq
        task = self.get(f"/api/tasks/{task_id}", clerk).get_json()
        return self.post(
            f"/api/tasks/{task_id}/complete", clerk, json={"variables": approval_for(task["form_key"], seq)}
        )


# The service clock of every HTTP test starts at a fixed moment (a Wednesday morning in a week without
# holidays), so due dates in working days (R5) never depend on the day the suite runs; tests move it.
FIXED_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA)


@pytest.fixture
def clock():
    return Clock(FIXED_NOW - datetime.now(CHINA))


@pytest.fixture
def service_clock_pinned(monkeypatch):
    """Services started in other processes (and build_context here) start their clock at FIXED_NOW too."""
    monkeypatch.setenv(CLOCK_START_VARIABLE, FIXED_NOW.isoformat())
    return FIXED_NOW


@pytest.fixture
def registry():
    """The handlers; a test module may override this fixture to plant a faulty department system."""
    return default_registry()


@pytest.fixture
def database_url(tmp_path):
    """A database of the test's own: SQLite, or PostgreSQL when ONETHING_TEST_DATABASE_URL names a server."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def ctx(database_url, clock, registry):
    """The engine over the test's database, prepared already (a copy of the session's template)."""
    ctx = build_context(database_url, clock=clock, registry=registry, specs=SPECS)
    yield ctx
    ctx.notifier.close()  # its listener (if anything waited) stops before the database goes


@pytest.fixture
def app(ctx):
    # an event stream notices a browser that went at its next heartbeat (the tests' server cannot tell sooner)
    return create_app({"TESTING": True, "SECRET_KEY": "tests", "PUSH_BEAT_SECONDS": 1}, context=ctx)


@pytest.fixture
def worker(ctx):
    return Worker(ctx, name="test-worker")


@pytest.fixture
def api(app, ctx, worker):
    tokens = {name: add_user(ctx, name, **spec) for name, spec in USERS.items()}
    return Api(app.test_client(), tokens, worker)


@pytest.fixture
def application(clock):
    return sample_application(clock.now())
