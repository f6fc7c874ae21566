"""Fuzzing every operation of the served OpenAPI document with Schemathesis, through the WSGI app.

Each operation gets schema-valid and schema-violating requests, sent with the token of each role the
access policy admits to it (every role for a public one), against dummy ids and against a real
application, task and material. No answer may be a 5xx, and every answer must have a documented status,
content type and body shape. Bounded and reproducible: a fixed number of examples, derandomized, no
deadline, no example database.
"""

from __future__ import annotations

import itertools
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from api.samples import sample_application
from engine.bootstrap import build_context
from engine.clock import Clock
from engine.usecases.accounts import add_user
from engine.worker import Worker
from tests.sample_files import pdf

from .conftest import USERS, Api
from .test_security_roles import DUMMY, POLICY, PUBLIC, SPEAKER

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
EXAMPLES = 25
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
NEWBORNS = itertools.count(1)  # one active application per newborn: each test files for another
DOCUMENTED = sorted(key for key in POLICY if key[1] != "/api/openapi.json")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """One app, its users and its loaded document for the module (each test adds its own application)."""
    directory = tmp_path_factory.mktemp("fuzz")
    ctx = build_context(f"sqlite:///{directory / 'fuzz.db'}", clock=Clock())
    app = create_app({"TESTING": True, "MATERIALS_DIR": str(directory / "materials")}, context=ctx)
    tokens = {name: add_user(ctx, name, **spec) for name, spec in USERS.items()}
    api = Api(app.test_client(), tokens, Worker(ctx, name="fuzz-worker"))
    return api, ctx, schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture
def real_ids(fuzzed):
    """A fresh application with an open task and an uploaded material, so fuzzing reaches the use cases."""
    api, ctx, _ = fuzzed
    started = api.start(sample_application(ctx.clock.now(), seq=next(NEWBORNS))).get_json()
    [step] = api.open_steps(started["id"])
    api.call("PUT", f"/api/process-instances/{started['id']}/materials/marriage_certificate", "portal", data=pdf())
    return {"key": "newborn_birth", "instance_id": started["id"], "business_key": started["business_key"],
            "task_id": step["task_id"], "incident_id": DUMMY, "code": "marriage_certificate"}


def test_the_document_describes_every_route_of_the_policy(fuzzed):
    schema = fuzzed[2]
    documented = {(op.ok().method.upper(), re.sub(r"{(\w+)}", r"<\1>", op.ok().path))
                  for op in schema.get_all_operations()}
    assert documented == set(DOCUMENTED)


@pytest.mark.parametrize("method, rule", DOCUMENTED, ids=[f"{m} {r}" for m, r in DOCUMENTED])
def test_fuzz(fuzzed, real_ids, method, rule):
    api, _, schema = fuzzed
    operation = schema[re.sub(r"<(\w+)>", r"{\1}", rule)][method]
    policy = POLICY[(method, rule)]
    roles = sorted(SPEAKER) if policy == PUBLIC else sorted(policy)
    names = [parameter.name for parameter in operation.path_parameters]
    strategies = [operation.as_strategy(generation_mode=mode) for mode in MODES]
    if names:
        real = {name: real_ids[name] for name in names}
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=real) for mode in MODES]

    @given(case=st.one_of(strategies), role=st.sampled_from(roles))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def answers_as_documented(case, role):
        response = case.call(headers={"Authorization": f"Bearer {api.tokens[SPEAKER[role]]}"})
        case.validate_response(response, checks=CHECKS)

    answers_as_documented()


@pytest.mark.parametrize("path, role", [
    ("/api/incidents?page=1000000000000000000000000000000000", "admin"),
    ("/api/tasks?page=1000000000000000000000000000000000", "clerk"),
    ("/api/process-definitions/newborn_birth/xml?version=1000000000000000000000000000000000", "analyst"),
    ("/api/process-instances/{instance_id}/history?page=1000000000000000000000000000000000", "supervisor"),
    ("/api/process-instances/{instance_id}/materials?page=1000000000000000000000000000000000", "portal"),
])
def test_numbers_too_large_for_the_database_are_422_not_500(fuzzed, real_ids, path, role):
    """Found by the fuzzer: a huge page or version reached SQLite and overflowed its integers (500)."""
    api = fuzzed[0]
    response = api.get(path.format(**real_ids), SPEAKER[role])
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
