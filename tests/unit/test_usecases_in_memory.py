"""Use cases over a unit of work in memory (``tests/support/fake_uow.py``), where a database adds nothing:
accounts, deployments (the service's own files, the dry run on its samples, a process no service owns), the
portal's dry run."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.clock import CHINA, Clock
from engine.errors import InvalidDeployment, InvalidInput, NotFound
from engine.usecases import accounts, checks, deployments
from engine.users import Principal
from handlers.newborn.samples import sample_application
from handlers.newborn.service import NEWBORN
from tests.second_service import SECOND
from tests.support.fake_uow import fake_context

NOW = datetime(2026, 11, 25, 10, tzinfo=CHINA)
PORTAL = Principal("portal", frozenset({"portal"}), frozenset(), frozenset({"62"}))


@pytest.fixture
def ctx():
    context = fake_context([NEWBORN, SECOND], clock=Clock(NOW - datetime.now(CHINA)))
    deployments.deploy_bundled_if_empty(context)
    return context


def test_each_services_bundled_files_are_deployed_once(ctx):
    assert {(d["key"], d["version"]) for d in deployments.list_definitions(ctx)} == {
        ("newborn_birth", 1),
        ("residence_certificate", 1),
    }
    assert deployments.deploy_bundled_if_empty(ctx) == []


def test_a_deployment_carries_over_only_its_own_services_files(ctx):
    bpmn = (SECOND.workflows / "residence_certificate.bpmn").read_bytes()
    [created] = deployments.deploy(
        ctx, [("residence_certificate.bpmn", bpmn.replace("社区审核".encode(), "社区审核（二）".encode()))], "analyst"
    )
    assert (created["key"], created["version"]) == ("residence_certificate", 2)
    latest = ctx.store.definitions[created["id"]]
    assert {name for name, _ in ctx.store.files[latest.deployment_id]} == {"residence_certificate.bpmn"}
    assert [d["version"] for d in deployments.list_definitions(ctx) if d["key"] == "newborn_birth"] == [1]


def test_a_process_no_service_owns_is_refused(ctx):
    bpmn = (
        (SECOND.workflows / "residence_certificate.bpmn")
        .read_bytes()
        .replace(b'id="residence_certificate"', b'id="unowned_process"')
    )
    with pytest.raises(InvalidDeployment) as refused:
        deployments.deploy(ctx, [("unowned.bpmn", bpmn)], "analyst")
    assert "no installed service" in refused.value.problems[0].message
    commits = ctx.store.commits
    with pytest.raises(InvalidDeployment):
        deployments.deploy(ctx, [("unowned.bpmn", bpmn)], "analyst")
    assert ctx.store.commits == commits  # nothing stored


def test_accounts_know_every_services_groups(ctx):
    token = accounts.add_user(ctx, "community-1", ["clerk"], ["community"], ["6201"])
    assert accounts.authenticate(ctx, token).groups == frozenset({"community"})
    with pytest.raises(InvalidInput) as refused:
        accounts.add_user(ctx, "x", ["clerk"], ["no_such_department"], ["62"])
    assert "community" in refused.value.errors["groups"][0] and "midwifery" in refused.value.errors["groups"][0]
    assert accounts.authenticate(ctx, "not a token") is None


def test_the_dry_run_is_the_services(ctx):
    found = checks.check_application(ctx, PORTAL, sample_application(NOW))
    assert found["eligible"] is True and found["promised_by"] == "2026-11-30T23:59:59+08:00"
    with pytest.raises(NotFound, match="has no dry run"):
        checks.check_application(ctx, PORTAL, {}, key="residence_certificate")
    with pytest.raises(InvalidInput):
        checks.check_application(ctx, PORTAL, {"region": "gansu"})
