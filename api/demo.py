"""``onething demo``: deploy, create one user per role, submit a Gansu application and walk it through
every step over the HTTP API (in-process), printing a readable timeline."""

from __future__ import annotations

import sys
import unicodedata
from typing import TextIO

from engine.bootstrap import ready_context
from engine.clock import Clock
from engine.usecases.accounts import add_user
from engine.worker import Worker
from forms.newborn.items import DEPARTMENTS

from . import create_app
from handlers.newborn.samples import approval_for, sample_application

DEMO_USERS = {
    "portal": dict(roles=["portal"], groups=[], jurisdictions=["62"]),
    "clerk_service_center": dict(roles=["clerk"], groups=["service_center"], jurisdictions=["62"]),
    "clerk_midwifery": dict(roles=["clerk"], groups=["midwifery"], jurisdictions=["62"]),
    "clerk_police": dict(roles=["clerk"], groups=["police"], jurisdictions=["6201"]),
    "analyst": dict(roles=["analyst"], groups=[], jurisdictions=[]),
    "supervisor": dict(roles=["supervisor"], groups=[], jurisdictions=["62"]),
    "admin": dict(roles=["admin"], groups=[], jurisdictions=["62"]),
}


DEMO_MESSAGES = {
    "premium_paid": {"channel": "微信", "amount": 400},
    "hukou_page_printed": {"police_station": "兰州市公安局城关分局庆阳路派出所"},
}
MESSAGE_STEPS = {"premium_paid": "缴纳医保费", "hukou_page_printed": "到派出所打印户口页"}


class DemoFailed(RuntimeError):
    pass


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns (Chinese characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


def _check(response, status: int):
    if response.status_code != status:
        raise DemoFailed(f"{response.request.method} {response.request.path} → {response.status_code}: "
                         f"{response.get_data(as_text=True)[:500]}")
    return response.get_json()


def run_demo(database_url: str | None = None, out: TextIO = sys.stdout, clock: Clock | None = None) -> str:
    """Run the demo; returns the final state of the application."""
    ctx = ready_context(database_url, clock=clock)
    app = create_app(context=ctx)
    tokens = {}
    for name, spec in DEMO_USERS.items():
        tokens[name] = add_user(ctx, f"demo-{name}-{ctx.clock.now():%H%M%S%f}", **spec)
    client = app.test_client()
    worker = Worker(ctx, name="demo-worker")

    def auth(user):
        return {"Authorization": f"Bearer {tokens[user]}"}

    def line(step, department, who, result):
        print(f"{ctx.clock.now():%Y-%m-%d %H:%M}  {pad(step, 22)}{pad(department, 14)}{pad(who, 22)}{result}",
              file=out)

    defs = _check(client.get("/api/process-definitions", headers=auth("analyst")), 200)
    latest = max((d for d in defs if d["key"] == "newborn_birth"), key=lambda d: d["version"])
    print(f"流程 newborn_birth 第 {latest['version']} 版已部署 ({latest['deployed_at']})", file=out)
    print(f"{pad('时间', 18)}{pad('环节', 22)}{pad('部门', 14)}{pad('经办人', 22)}结果", file=out)

    application = sample_application(ctx.clock.now(), channel="window")
    started = _check(client.post("/api/process-definitions/newborn_birth/start", headers=auth("portal"),
                                 json={"variables": {"application": application}}), 201)
    line("提交申请", "门户", "portal", f"受理号 {started['business_key']}")
    worker.run_until_idle()

    clerk_for = {"service_center": "clerk_service_center", "midwifery": "clerk_midwifery",
                 "police": "clerk_police"}
    seen_history = 0
    for _ in range(20):
        instance = _check(client.get(f"/api/process-instances/{started['id']}", headers=auth("portal")), 200)
        seen_history = _print_service_steps(client, auth("supervisor"), started["id"], seen_history, line)
        if instance["state"] != "active":
            break
        for waiting in instance.get("waiting_for", []):
            name = waiting["message"]
            _check(client.post("/api/messages", headers=auth("portal"), json={
                "name": name, "business_key": started["business_key"],
                "variables": DEMO_MESSAGES.get(name, {})}), 200)
            line(MESSAGE_STEPS.get(name, name), "申请人", "portal", "已确认")
            worker.run_until_idle()
        for step in instance["open_steps"]:
            clerk = clerk_for[step["group"]]
            _check(client.post(f"/api/tasks/{step['task_id']}/claim", headers=auth(clerk)), 200)
            task = _check(client.get(f"/api/tasks/{step['task_id']}", headers=auth(clerk)), 200)
            _check(client.post(f"/api/tasks/{step['task_id']}/complete", headers=auth(clerk),
                               json={"variables": approval_for(task["form_key"])}), 200)
            line(step["name"], DEPARTMENTS[step["group"]], clerk, "审核通过")
            worker.run_until_idle()
    instance = _check(client.get(f"/api/process-instances/{started['id']}", headers=auth("portal")), 200)
    _print_service_steps(client, auth("supervisor"), started["id"], seen_history, line)
    progress = _check(client.get(f"/api/applications/{started['business_key']}/progress",
                                 headers=auth("portal")), 200)
    print("", file=out)
    for item in progress["items"]:
        print(f"  {pad(item['name'], 22)}{pad(item['department'], 14)}{item['status_text']}", file=out)
    for notice in progress["next_steps"]:
        print(f"  提示: {notice['text']}", file=out)
    print(f"\n申请 {started['business_key']} 状态: {instance['state']}（{progress['state_text']}）", file=out)
    return instance["state"]


def _print_service_steps(client, headers, instance_id, seen, line) -> int:
    history = _check(client.get(f"/api/process-instances/{instance_id}/history?per_page=200",
                                headers=headers), 200)["items"]
    for event in history[seen:]:
        if event["kind"] == "service_task_completed":
            result = event["detail"].get("result") or {}
            shown = next((f"{k}={v}" for k, v in result.items()
                          if k.endswith("number") and "id_number" not in k), "完成")
            line(event["activity_name"] or event["activity_id"],
                 DEPARTMENTS.get(event["department"], event["department"]), "系统", shown)
    return len(history)
