"""Fuzzing every operation of the served OpenAPI document with Schemathesis, through the WSGI app.

Each operation gets schema-valid and schema-violating requests, sent with the token of each role the
access policy admits to it (every role for a public one), against dummy ids and against a real
application, task and material. No answer may be a 5xx, and every answer must have a documented status,
content type and body shape. Bounded and reproducible: a fixed number of examples, derandomized, no
deadline, no example database.
"""

from __future__ import annotations

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

from handlers.newborn.samples import sample_application

from .test_security_roles import POLICY, PUBLIC, SPEAKER, real_ids

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
EXAMPLES = 25
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
DOCUMENTED = sorted(key for key in POLICY if key[1] != "/api/openapi.json")


@pytest.fixture(autouse=True)
def materials_dir(app, tmp_path):
    app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    app.config["PUSH_STREAM_SECONDS"] = 0  # an application's event stream: its current state, then the end


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def test_the_document_describes_every_route_of_the_policy(schema):
    documented = {
        (op.ok().method.upper(), re.sub(r"{(\w+)}", r"<\1>", op.ok().path)) for op in schema.get_all_operations()
    }
    assert documented == set(DOCUMENTED)


def fuzz(api, operation, roles, ids) -> None:
    """Hypothesis over one operation: generated and real path parameters, valid and invalid data."""
    strategies = [operation.as_strategy(generation_mode=mode) for mode in MODES]
    real = {parameter.name: ids[parameter.name] for parameter in operation.path_parameters}
    if real:
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=real) for mode in MODES]

    @given(case=st.one_of(strategies), role=st.sampled_from(roles))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def answers_as_documented(case, role):
        response = case.call(headers={"Authorization": f"Bearer {api.tokens[SPEAKER[role]]}"})
        case.validate_response(response, checks=CHECKS)

    answers_as_documented()


def test_every_operation_answers_as_documented(api, schema, clock):
    """One app for all operations (a failure names its operation in the curl line to reproduce it); each
    operation gets a fresh application, so what an earlier one did (a cancel) does not shadow it."""
    for seq, (method, rule) in enumerate(DOCUMENTED, start=1):
        policy = POLICY[(method, rule)]
        roles = sorted(SPEAKER) if policy == PUBLIC else sorted(policy)
        ids = real_ids(api, sample_application(clock.now(), seq=seq))
        fuzz(api, schema[re.sub(r"<(\w+)>", r"{\1}", rule)][method], roles, ids)


TOO_LARGE = 10**33


def test_numbers_too_large_for_the_database_are_422_not_500(api, application):
    """Found by the fuzzer: a huge page or version reached SQLite and overflowed its integers (500)."""
    ids = real_ids(api, application)
    for path, role in (
        (f"/api/incidents?page={TOO_LARGE}", "admin"),
        (f"/api/tasks?page={TOO_LARGE}", "clerk"),
        (f"/api/process-definitions/newborn_birth/xml?version={TOO_LARGE}", "analyst"),
        (f"/api/process-instances/{ids['instance_id']}/history?page={TOO_LARGE}", "supervisor"),
        (f"/api/process-instances/{ids['instance_id']}/materials?page={TOO_LARGE}", "portal"),
    ):
        response = api.get(path, SPEAKER[role])
        assert response.status_code == 422 and response.mimetype == "application/problem+json", path
