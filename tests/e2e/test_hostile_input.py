"""Input an attacker (or a broken client) sends: never a 500, always a 4xx that says what is wrong, and the
service keeps serving (issue 13). Names are checked as the civil registry writes them (RULES: the birth
certificate and the hukou record print them)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.newborn.samples import sample_application

START = "/api/process-definitions/newborn_birth/start"
PROBLEM = "application/problem+json"


def raw_post(api, path, user, text):
    return api.call("POST", path, user, drain=False, data=text, content_type="application/json")


def post_json(api, path, user, body):
    """As a client that escapes non-ASCII text (``\ud800`` stays an escape, as it would on the wire)."""
    return raw_post(api, path, user, json.dumps(body))


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "path, user", [(START, "portal"), ("/api/applications/check", "portal"), ("/api/messages", "portal")]
)
def test_a_body_nested_2000_deep_is_400_not_a_recursion_error(api, path, user):
    response = raw_post(api, path, user, '{"variables": {"application": ' + nested(2000) + "}}")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert "nested deeper than 64 levels" in response.get_json()["detail"]
    response = raw_post(api, path, user, "[" * 5000 + "]" * 5000)
    assert response.status_code == 400


def test_an_integer_of_5000_digits_is_400(api):
    response = raw_post(api, START, "portal", '{"variables": {"x": ' + "9" * 5000 + "}}")
    assert response.status_code == 400 and "characters (at most 40)" in response.get_json()["detail"]
    assert raw_post(api, START, "portal", '{"variables": {"x": NaN}}').status_code == 400


def test_a_lone_surrogate_is_422_naming_where_it_is(api, application):
    application["newborn"]["surname"] = "\ud800"
    response = post_json(api, START, "portal", {"variables": {"application": application}})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "variables.application.newborn.surname" in response.get_json()["errors"]
    response = raw_post(api, "/api/messages", "portal", '{"name": "x\\udfff", "business_key": "b"}')
    assert response.status_code == 422 and "name" in response.get_json()["errors"]


@pytest.mark.parametrize(
    "born_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1850-05-01T08:00:00+08:00"]
)
def test_a_birth_time_no_birth_can_have_is_422(api, application, born_at):
    application["newborn"]["born_at"] = born_at
    response = api.start(application)
    assert response.status_code == 422, response.get_json()
    assert "newborn.born_at" in response.get_json()["errors"]
    assert api.post("/api/applications/check", "portal", json=application).status_code == 422


@pytest.mark.parametrize(
    "name",
    [
        "王\u202e芳",  # right-to-left override
        "王\u200d芳",  # zero-width joiner
        "\ufeff王芳",  # BOM
        "Jose" + "\u0301" * 50,  # 50 combining marks
        "王 芳",  # a space inside a Chinese name
        "王芳1",  # a digit
        "·王芳",  # a dot at the start
        "王Fang",  # two scripts
        "John\u2028Smith",  # a line separator
    ],
)
def test_names_the_registry_cannot_print_are_refused_naming_the_field(api, application, name):
    application["mother"]["name"] = name
    response = api.start(application)
    assert response.status_code == 422, name
    [message] = response.get_json()["errors"]["mother.name"]
    assert message.startswith("姓名")
    application["mother"]["name"] = "李娜"
    application["newborn"]["given_name"] = name
    [message] = api.start(application).get_json()["errors"]["newborn.given_name"]
    assert message.startswith("新生儿名")


def test_names_the_registry_writes_are_taken_normalised(api, ctx, application):
    application["mother"]["name"] = "阿依古丽·买买提"
    application["father"]["name"] = "Jose\u0301 O'Neil-Smith"  # decomposed é
    application["newborn"]["given_name"] = "𠀀明"  # an extension B ideograph
    response = api.start(application)
    assert response.status_code == 201, response.get_json()
    task = api.get(f"/api/tasks/{api.open_steps(response.get_json()['id'])[0]['task_id']}", "midwifery").get_json()
    stored = json.dumps(task, ensure_ascii=False)
    assert "José O'Neil-Smith" in stored and "\u0301" not in stored and "阿依古丽·买买提" in stored


def test_the_service_keeps_serving_after_hostile_input(api, application):
    raw_post(api, START, "portal", nested(100000))
    raw_post(api, START, "portal", '{"variables": ' + "1" * 100000 + "}")
    assert api.start(application).status_code == 201
    assert api.get("/api/health").status_code == 200


# -- property-based: no body makes a 500 -------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, path + (index,))
    else:
        yield path


def replaced(document, path, value):
    copy = json.loads(json.dumps(document))
    if not path:
        return value
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


SETTINGS = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(data=st.data())
def test_no_application_makes_a_500(api, clock, data):
    application = sample_application(clock.now())
    paths = sorted(leaf_paths(application), key=str)
    for _ in range(data.draw(st.integers(1, 3))):
        application = replaced(application, data.draw(st.sampled_from(paths)), data.draw(JSON))
    for path in ("/api/applications/check", START):
        body = application if path != START else {"variables": {"application": application}}
        response = post_json(api, path, "portal", body)
        assert response.status_code < 500, (path, response.get_data(as_text=True)[:500])


@pytest.fixture
def task_id(api, application):
    started = api.start(application).get_json()
    [step] = api.open_steps(started["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    return step["task_id"]


@SETTINGS
@given(body=JSON, name=JSON, variables=JSON)
def test_no_message_or_task_body_makes_a_500(api, task_id, body, name, variables):
    responses = [
        post_json(api, "/api/messages", "portal", body),
        post_json(api, "/api/messages", "portal", {"name": name, "business_key": "NB-1", "variables": variables}),
        post_json(api, f"/api/tasks/{task_id}/complete", "midwifery", {"variables": variables}),
        post_json(api, f"/api/tasks/{task_id}/complete", "midwifery", body),
    ]
    for response in responses:
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
