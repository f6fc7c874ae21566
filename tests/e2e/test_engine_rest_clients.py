"""A full application through Camunda 7's REST API with two stock clients from PyPI, ``pycamunda`` 0.6.1 and
``generic-camunda-client`` 7.18.0, against a real ``onething serve`` (issue 24; on PostgreSQL too when the
suite runs there): start, list the instance's tasks, claim and complete each review with its form's variables,
the messages it waits for, read the instance and its history, evaluate a decision, delete a test deployment
with cascade -- and no call of either client is answered 405 or 500."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import generic_camunda_client as camunda
import pycamunda.decisiondef
import pycamunda.deployment
import pycamunda.message
import pycamunda.processdef
import pycamunda.processinst
import pycamunda.task
import pytest
import requests

from engine.usecases.accounts import add_user
from handlers.newborn.samples import approval_for, sample_application
from handlers.newborn.service import NEWBORN
from tests.support.services import free_port, onething, process, wait_healthy

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
PASSWORD = "correct horse battery"
PEOPLE = {  # name: (roles, groups, jurisdictions)
    "analyst-1": (["analyst"], [], []),
    "admin-1": (["admin"], [], ["62"]),
    "portal-1": (["portal"], [], ["62"]),
    "mw-1": (["clerk"], ["midwifery"], ["62"]),
    "police-1": (["clerk"], ["police"], ["6201"]),
    "sv-1": (["supervisor"], [], ["62"]),
}
CLERKS = ("mw-1", "police-1")
TYPES = {"String": str, "Boolean": bool, "Long": int}


def until(found: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Ask ``found`` again until it answers something (the background worker runs service tasks meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = found()
        if answer:
            return answer
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {timeout} s")


@pytest.fixture
def statuses(monkeypatch) -> list[tuple[str, str, int]]:
    """Every answer either client got: (method, URL, status)."""
    seen: list[tuple[str, str, int]] = []
    send = requests.sessions.Session.send

    def recorded_send(self, prepared, **kwargs):
        response = send(self, prepared, **kwargs)
        seen.append((prepared.method, prepared.url, response.status_code))
        return response

    rest_request = camunda.rest.RESTClientObject.request

    def recorded_request(self, method, url, *args, **kwargs):
        try:
            response = rest_request(self, method, url, *args, **kwargs)
        except camunda.ApiException as err:
            seen.append((method, url, err.status))
            raise
        seen.append((method, url, response.status))
        return response

    monkeypatch.setattr(requests.sessions.Session, "send", recorded_send)
    monkeypatch.setattr(camunda.rest.RESTClientObject, "request", recorded_request)
    return seen


class Bearer(requests.auth.AuthBase):
    """A machine's token (pycamunda takes any ``requests`` authentication)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def test_a_full_application_through_pycamunda_and_generic_camunda_client(
    ctx, database_url, tmp_path, statuses, service_clock_pinned
):
    # people sign in with their password (HTTP Basic: the analyst); machines that poll use a token (every Basic
    # request is a password check, limited per address)
    tokens = {
        name: add_user(ctx, name, roles, groups, jurisdictions, password=PASSWORD)
        for name, (roles, groups, jurisdictions) in PEOPLE.items()
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}/engine-rest"
    with process(onething("serve", "--port", str(port)), database_url, tmp_path / "serve.log") as child:
        wait_healthy(f"http://127.0.0.1:{port}", child, tmp_path / "serve.log")

        def py(request, user: str):
            """A pycamunda request sent as ``user`` (the analyst with HTTP Basic, the others with a token)."""
            request.auth = requests.auth.HTTPBasicAuth(user, PASSWORD) if user == "analyst-1" else Bearer(tokens[user])
            return request()

        clients: dict[str, camunda.ApiClient] = {}

        def gen(user: str) -> camunda.ApiClient:
            if user not in clients:
                configuration = camunda.Configuration(host=url, username=user, password=PASSWORD)
                clients[user] = camunda.ApiClient(configuration)
                clients[user].set_default_header(
                    "Authorization",
                    configuration.get_basic_auth_token() if user == "analyst-1" else f"Bearer {tokens[user]}",
                )
            return clients[user]

        # the portal starts an application (pycamunda), the application as a Json variable
        application = sample_application(service_clock_pinned)
        start = pycamunda.processdef.StartInstance(url, key="newborn_birth")
        start.add_variable("application", json.dumps(application, ensure_ascii=False), "Json")
        instance = py(start, "portal-1")
        assert instance.definition_id.startswith("newborn_birth:1:") and instance.business_key
        listed = py(pycamunda.processinst.GetList(url, business_key=instance.business_key), "portal-1")
        assert [i.id_ for i in listed] == [instance.id_]

        # each review: the clerk whose queue shows it claims it and completes it with its form's variables
        reviewed = []
        for _ in range(2):

            def a_task():
                for clerk in CLERKS:
                    found = camunda.TaskApi(gen(clerk)).get_tasks(process_instance_id=instance.id_)
                    if found:
                        return clerk, found[0]
                return None

            clerk, task = until(a_task, "review task")
            mine = py(pycamunda.task.GetList(url, process_instance_id=instance.id_, candidate_group=None), clerk)
            assert [t.id_ for t in mine] == [task.id]
            py(pycamunda.task.Claim(url, task.id, user_id=clerk), clerk)
            form = camunda.TaskApi(gen(clerk)).get_form_variables(task.id)
            values = approval_for(task.form_key, seq=7)
            assert set(values) <= set(form)
            complete = pycamunda.task.Complete(url, task.id)
            for name, value in values.items():
                assert isinstance(value, TYPES[form[name].type])
                complete.add_variable(name, value, form[name].type)
            py(complete, clerk)
            reviewed.append(task.task_definition_key)
        assert reviewed == ["birth_certificate_review", "hukou_review"]

        # the messages it waits for (the premium paid, the hukou page printed), as the portal
        def sent(name: str, variables: dict):
            def attempt():
                correlate = pycamunda.message.CorrelateSingle(
                    url, message_name=name, business_key=instance.business_key, result_enabled=True
                )
                for key, value in variables.items():
                    correlate.add_process_variable(key, value)
                try:
                    return py(correlate, "portal-1")
                except pycamunda.PyCamundaException:
                    return None  # not waiting for it yet: the worker is still on the steps before

            return until(attempt, f"message {name}")

        for name, (_, variables) in NEWBORN.demo.messages.items():
            [result] = sent(name, variables)
            assert result.execution.process_instance_id == instance.id_

        # the instance and its history
        history = camunda.HistoricProcessInstanceApi(gen("sv-1"))

        def completed():
            found = history.get_historic_process_instance(instance.id_)
            return found if found.state == "COMPLETED" else None

        done = until(completed, "completed application")
        assert done.end_time and done.delete_reason is None and done.business_key == instance.business_key
        ended = py(pycamunda.processinst.Get(url, instance.id_), "sv-1")
        assert ended.id_ == instance.id_
        variables = py(pycamunda.processinst.VariablesGetList(url, instance.id_), "sv-1")
        assert variables["region"].value == "gansu" and variables["application"].type_ == "Json"
        activities = camunda.HistoricActivityInstanceApi(gen("sv-1")).get_historic_activity_instances(
            process_instance_id=instance.id_, sort_by="startTime", sort_order="asc"
        )
        reviews = [a for a in activities if a.activity_type == "userTask"]
        assert [(a.activity_id, a.assignee) for a in reviews] == [
            ("birth_certificate_review", "mw-1"),
            ("hukou_review", "police-1"),
        ]
        assert {"serviceTask", "intermediateMessageCatch"} <= {a.activity_type for a in activities}
        tasks = camunda.HistoricTaskInstanceApi(gen("sv-1")).get_historic_task_instances(
            process_instance_id=instance.id_
        )
        assert {(t.task_definition_key, t.delete_reason) for t in tasks} == {
            ("birth_certificate_review", "completed"),
            ("hukou_review", "completed"),
        }
        kept = camunda.HistoricVariableInstanceApi(gen("sv-1")).get_historic_variable_instances(
            process_instance_id=instance.id_, variable_name="region"
        )
        assert [(v.name, v.value) for v in kept] == [("region", "gansu")]
        assert (
            camunda.ProcessInstanceApi(gen("sv-1"))
            .get_process_instances_count(business_key=instance.business_key)
            .count
            == 0
        )  # ended: history only

        # an analyst tries a decision table
        evaluate = pycamunda.decisiondef.Evaluate(url, key="time_limits")
        evaluate.add_variable("region", "gansu", "String")
        [limits] = py(evaluate, "analyst-1")
        assert limits["hukou_registration"].value == 1
        by_generic = camunda.DecisionDefinitionApi(gen("analyst-1")).evaluate_decision_by_key(
            "time_limits",
            evaluate_decision_dto=camunda.EvaluateDecisionDto(
                variables={"region": camunda.VariableValueDto(value="guizhou", type="String")}
            ),
        )
        assert by_generic[0]["hukou_registration"].value >= 1

        # a test deployment, an application on it, and the deployment deleted with cascade by an admin
        edited = tmp_path / "newborn_birth.bpmn"
        edited.write_bytes(
            (WORKFLOWS / "newborn_birth.bpmn")
            .read_bytes()
            .replace("出生登记审核".encode(), "出生登记审核（测试）".encode())
        )
        create = pycamunda.deployment.Create(url, name="test", source="pycamunda", enable_duplicate_filtering=True)
        with open(edited, "rb") as file:
            create.add_resource(file)
            test_deployment = py(create, "analyst-1")
        [(test_definition, definition)] = test_deployment.deployed_process_definitions.items()
        assert definition.version == 2
        resources = py(pycamunda.deployment.GetResources(url, test_deployment.id_), "analyst-1")
        assert "newborn_birth.bpmn" in {r.name for r in resources}
        on_test = camunda.ProcessDefinitionApi(gen("portal-1")).start_process_instance(
            test_definition,
            start_process_instance_dto=camunda.StartProcessInstanceDto(
                variables={
                    "application": camunda.VariableValueDto(
                        value=json.dumps(sample_application(service_clock_pinned, seq=2), ensure_ascii=False),
                        type="Json",
                    )
                }
            ),
        )
        py(pycamunda.deployment.Delete(url, test_deployment.id_, cascade=True), "admin-1")
        cancelled = history.get_historic_process_instance(on_test.id)
        assert (
            cancelled.state == "EXTERNALLY_TERMINATED" and f"部署{test_deployment.id_}已删除" in cancelled.delete_reason
        )
        latest = py(pycamunda.processdef.Get(url, key="newborn_birth"), "analyst-1")
        assert latest.version == 1

    answered = {status for _, _, status in statuses}
    assert statuses and not answered & {405, 500}, [s for s in statuses if s[2] in (405, 500)]
