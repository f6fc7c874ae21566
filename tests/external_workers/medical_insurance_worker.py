"""The medical-insurance system as an external worker, written with Camunda's stock Python client
(camunda-external-task-client-python3 4.5.0, with pydantic beside it), run by tests/e2e/test_external_workers.py
against ``onething serve``: enrolment (``medical_insurance.enrol``), its confirmation after the premium is paid
(``…confirm_enrolment``) and the maternity reimbursement (``…reimburse_maternity``).

Its records are files named by the step's idempotency key (the fetched task's extension property
``idempotencyKey``), made with ``os.link`` so that one step is enrolled once however often it is fetched.

Environment: ENGINE_REST, WORKER_ID, TOKEN (Bearer) or USERNAME and PASSWORD (Basic), DEPARTMENT_DIR, LOCK_MS,
FAIL (set: every task fails, 3 attempts in all, as a system that is down).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import sys
from pathlib import Path

from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker

TOPICS = ["medical_insurance.enrol", "medical_insurance.confirm_enrolment", "medical_insurance.reimburse_maternity"]
env = os.environ
STORE = Path(env["DEPARTMENT_DIR"])


def say(line: str) -> None:
    print(f"{datetime.datetime.now().isoformat()} {env['WORKER_ID']} {line}", flush=True)


def once(key: str, make) -> tuple[dict, bool]:
    """The record of step ``key``: made now, or the one made before."""
    path = STORE / f"{hashlib.sha256(key.encode()).hexdigest()}.json"
    if path.exists():
        return json.loads(path.read_text()), False
    draft = path.with_suffix(f".{os.getpid()}.draft")
    draft.write_text(json.dumps({"key": key, **make()}, ensure_ascii=False))
    try:
        os.link(draft, path)
        return json.loads(path.read_text()), True
    except FileExistsError:
        return json.loads(path.read_text()), False
    finally:
        draft.unlink()


def serial(key: str, prefix: str) -> str:
    return f"{prefix}{datetime.date.today():%Y%m%d}{int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 10**6:06d}"


def handle(task: ExternalTask) -> TaskResult:
    if env.get("FAIL"):
        say(f"failing {task.get_topic_name()}")
        return task.failure(
            "医保系统暂不可用", "connection refused by the enrolment service", max_retries=2, retry_timeout=200
        )
    key = task.get_extension_property("idempotencyKey")
    topic = task.get_topic_name()
    application = json.loads(task.get_variable("application"))
    results = json.loads(task.get_variable("results") or "{}")
    born = application["newborn"]["born_at"][:10]
    if topic == "medical_insurance.enrol":
        record, made = once(
            key, lambda: {"enrolment_number": serial(key, "YB"), "enrolled_on": datetime.date.today().isoformat()}
        )
        record.update(number=record["enrolment_number"], coverage=[{"start": born, "end": f"{born[:4]}-12-31"}])
    elif topic == "medical_insurance.confirm_enrolment":
        paid = json.loads(task.get_variable("premium_paid") or "{}")
        record, made = (
            {
                **results["medical_insurance"],
                "status": "enrolled",
                "coverage_start": born,
                "payment_channel": paid.get("channel"),
            },
            False,
        )
    else:
        record, made = once(key, lambda: {"claim_number": serial(key, "BX")})
        record.update(number=record["claim_number"], mode="manual_claim")
    say(f"{'enrolled' if made else 'answered'} {key}")
    return task.complete({**record, "notices": [{"audience": "applicant", "text": f"医保{record['number']}已办理。"}]})


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout)
    auth = (
        {"auth_bearer": {"access_token": env["TOKEN"]}}
        if env.get("TOKEN")
        else {"auth_basic": {"username": env["USERNAME"], "password": env["PASSWORD"]}}
    )
    config = {
        **auth,
        "maxTasks": 1,
        "lockDuration": int(env.get("LOCK_MS", "20000")),
        "asyncResponseTimeout": int(env.get("WAIT_MS", "10000")),
        "sleepSeconds": 1,
    }
    say("polling " + ", ".join(TOPICS))
    ExternalTaskWorker(worker_id=env["WORKER_ID"], base_url=env["ENGINE_REST"], config=config).subscribe(TOPICS, handle)


if __name__ == "__main__":
    main()
