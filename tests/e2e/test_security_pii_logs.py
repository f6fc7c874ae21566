"""No personal data in the logs (R8.2): a whole application with every logger at DEBUG.

Everything any logger emits — the message, the exception text and any extra attributes a structured
(JSON) formatter would write out — is searched for the applicant's ID numbers, phone numbers, addresses,
the parents' names and the bank account; and so is what the service's own JSON output
(``ONETHING_LOG_FORMAT=json``, ``engine.logs``) writes of it, line by line, each line one JSON object.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from engine.logs import handler
from handlers.newborn.samples import sample_application
from tests.sample_files import jpeg

# Attributes every LogRecord has; anything else came in through ``extra=`` and a JSON formatter prints it.
STANDARD = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {"message", "asctime"}


class Everything(logging.Handler):
    """Keeps every record with all it carries, as text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        extras = {k: v for k, v in vars(record).items() if k not in STANDARD}
        self.texts.append((record.name, f"{self.format(record)} {extras!r}"))


# Libraries that set their own level (SQLAlchemy sets ``sqlalchemy`` to WARNING) are turned up too.
LOUD = ("", "sqlalchemy", "sqlalchemy.engine", "werkzeug", "flask", "spiff", "api", "engine", "handlers")


@pytest.fixture
def everything():
    handler = Everything()
    levels = {name: logging.getLogger(name).level for name in LOUD}
    logging.getLogger().addHandler(handler)
    for name in LOUD:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def json_output():
    """The service's JSON log lines of everything (as ``ONETHING_LOG_FORMAT=json`` writes them)."""
    stream = io.StringIO()
    written = handler("json", stream)
    written.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(written)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(written)


def personal_data(application: dict) -> set[str]:
    mother, father = application["mother"], application["father"]
    refund = application["maternity_reimbursement"]
    delivery = application["delivery"]
    return {
        mother["id_number"],
        father["id_number"],
        mother["phone"],
        father["phone"],
        application["applicant"]["phone"],
        delivery["recipient_phone"],
        mother["hukou_address"],
        mother["current_address"],
        father["hukou_address"],
        delivery["recipient_address"],
        mother["name"],
        father["name"],
        application["hukou"]["householder_name"],
        refund["account_number"],
        refund["account_holder"],
        application["marriage"]["certificate_number"],
    }


def test_a_whole_application_logs_no_personal_data(api, app, clock, everything, json_output, tmp_path):
    app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    application = sample_application(clock.now(), channel="window")
    application["mother"].update(current_address="甘肃省兰州市七里河区西津西路88号", phone="13912345678")
    application["maternity_reimbursement"] = {
        "settled_at_discharge": False,
        "bank_name": "中国农业银行",
        "account_number": "6228480402564890018",
        "account_holder": "王芳",
    }
    application["delivery"].update(recipient_phone="13700001111", recipient_address="甘肃省兰州市安宁区银滩路5号")

    started = api.start(application)
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["id"]
    upload = api.call(
        "PUT",
        f"/api/process-instances/{instance_id}/materials/parent_id_cards",
        "portal",
        data=jpeg(),
        query_string={"filename": f"{application['mother']['name']}身份证.jpg"},
    )
    assert upload.status_code == 201
    api.get(f"/api/process-instances/{instance_id}/materials/parent_id_cards/content", "service_center")
    api.walk_to_end(instance_id)
    assert api.get(f"/api/process-instances/{instance_id}", "portal").get_json()["state"] == "completed"
    api.get(f"/api/process-instances/{instance_id}/history?per_page=200", "supervisor")
    # refused input is logged nowhere either
    application["mother"]["id_number"] = application["mother"]["id_number"][:-1] + "X"
    assert api.start(application).status_code in (409, 422)

    loggers = {name.split(".")[0] for name, _ in everything.texts}
    assert {"sqlalchemy", "spiff", "handlers"} <= loggers, loggers  # the capture really saw them
    secrets = personal_data(application) | {application["mother"]["id_number"]}
    leaks = [(name, secret, text[:300]) for name, text in everything.texts for secret in secrets if secret in text]
    assert leaks == [], sorted({(name, secret) for name, secret, _ in leaks})

    lines = [json.loads(line) for line in json_output.getvalue().splitlines()]  # each line one JSON object
    assert len(lines) >= len(everything.texts) and {"spiff", "sqlalchemy", "handlers"} <= {
        line["logger"].split(".")[0] for line in lines
    }
    assert any(line.get("request_id") and line.get("route") for line in lines)  # the requests' lines say which
    leaks = [
        (line["logger"], secret)
        for line in lines
        for secret in secrets
        if secret in json.dumps(line, ensure_ascii=False)
    ]
    assert leaks == [], sorted(set(leaks))
