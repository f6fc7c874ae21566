"""``/metrics`` for the operators only, and what ``deploy/`` gives them to watch it (issue 25, "Metrics").

``/metrics`` is off (404) until a token or operators' addresses are set; then only the token's bearer, or a
scraper at one of the addresses, reads it (401 otherwise). Its labels are route templates and codes, never a
path, an id or a business key. Every metric the Prometheus alert rules and the Grafana dashboard of
``deploy/`` use is one the service exposes, and the rules the issue asks for are there."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from api import create_app
from engine.worker import Worker
from tests.support.services import ROOT

TOKEN = "a-token-for-prometheus"
RULES = ROOT / "deploy" / "prometheus" / "onething-alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "onething-dashboard.json"
SUFFIXES = ("", "_total", "_count", "_sum", "_bucket", "_created")


def app_with(ctx, monkeypatch, **settings):
    for name in ("ONETHING_METRICS_TOKEN", "ONETHING_METRICS_ADDRESSES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx).test_client()


def test_metrics_answer_only_the_operators(ctx, monkeypatch):
    assert app_with(ctx, monkeypatch).get("/metrics").status_code == 404  # nothing configured: no metrics
    client = app_with(ctx, monkeypatch, ONETHING_METRICS_TOKEN=TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer not-it"}).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain" and b"onething_database_up 1.0" in answer.data
    assert app_with(ctx, monkeypatch, ONETHING_METRICS_ADDRESSES="10.0.0.0/8").get("/metrics").status_code == 401
    here = app_with(ctx, monkeypatch, ONETHING_METRICS_ADDRESSES="192.0.2.1, 127.0.0.0/8")
    assert here.get("/metrics").status_code == 200  # the test client's address
    with pytest.raises(ValueError, match="ONETHING_METRICS_ADDRESSES"):
        app_with(ctx, monkeypatch, ONETHING_METRICS_ADDRESSES="the office")


def exposed(api, ctx, monkeypatch, application) -> str:
    """/metrics after an application went through and a worker said it runs (every metric has samples)."""
    Worker(ctx, name="monitored").heartbeat_round()
    started = api.start(application)
    api.walk_to_end(started.get_json()["id"])
    api.get(f"/api/process-instances/{uuid.uuid4()}", "portal")  # a 404 on a route with an id in its path
    api.get("/no/such/path/NB2026", "portal")
    client = app_with(ctx, monkeypatch, ONETHING_METRICS_TOKEN=TOKEN)
    return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)


def test_labels_are_templates_and_codes(api, ctx, monkeypatch, application):
    text = exposed(api, ctx, monkeypatch, application)
    routes = {
        sample.labels["route"]
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if "route" in sample.labels
    }
    assert "/api/process-instances/<instance_id>" in routes and "(unmatched)" in routes
    assert not [route for route in routes if re.search(r"[0-9a-f]{8}-|NB20", route)]
    labels = {
        value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for value in sample.labels.values()
    }
    assert not [value for value in labels if re.search(r"[0-9a-f]{8}-[0-9a-f]{4}|^NB\d{8}|\d{17}[\dX]", value)]


def used_names(expression: str) -> set[str]:
    return set(re.findall(r"\bonething_[a-z_]+", expression))


def test_the_alert_rules_and_the_dashboard_use_what_the_service_exposes(api, ctx, monkeypatch, application):
    text = exposed(api, ctx, monkeypatch, application)
    names = {family.name + suffix for family in text_string_to_metric_families(text) for suffix in SUFFIXES}
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"][0]["rules"]
    assert {rule["alert"] for rule in rules} >= {
        "OnethingIncidentsOpen",
        "OnethingOverdueRising",
        "OnethingWorkerSilent",
        "OnethingJobLatencyHigh",
    }
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"], rule
        assert used_names(rule["expr"]) <= names, (rule["alert"], used_names(rule["expr"]) - names)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(expressions) >= 20 and dashboard["uid"] == "onething"
    unknown = {name for expression in expressions for name in used_names(expression)} - names
    assert unknown == set()
