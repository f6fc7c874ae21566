"""``onething demo``: create one user per role and department, start the instance a service's
:class:`~engine.service.Demo` describes and walk it through every step over the HTTP API (in-process),
printing a readable timeline."""

from __future__ import annotations

import sys
import unicodedata
from typing import TextIO

from engine.bootstrap import ready_context
from engine.clock import Clock
from engine.service import Service
from engine.usecases.accounts import add_user
from engine.worker import Worker

from . import create_app


class DemoFailed(RuntimeError):
    pass


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns (Chinese characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


def _check(response, status: int):
    if response.status_code != status:
        raise DemoFailed(
            f"{response.request.method} {response.request.path} → {response.status_code}: "
            f"{response.get_data(as_text=True)[:500]}"
        )
    return response.get_json()


def demo_users(service: Service) -> dict[str, dict]:
    """One user per role, and one clerk per department of the service, all working where the demo does."""
    where = [service.demo.jurisdiction] if service.demo else []
    users = {role: dict(roles=[role], groups=[], jurisdictions=where) for role in ("portal", "supervisor", "admin")}
    users["analyst"] = dict(roles=["analyst"], groups=[], jurisdictions=[])
    for group in service.departments.groups:
        users[f"clerk_{group}"] = dict(roles=["clerk"], groups=[group], jurisdictions=where)
    return users


def run_demo(
    database_url: str | None = None,
    out: TextIO = sys.stdout,
    clock: Clock | None = None,
    service_name: str | None = None,
) -> str:
    """Run the demo of the first installed service that has one (or of ``service_name``); returns the final
    state of the instance."""
    ctx = ready_context(database_url, clock=clock)
    service = next((s for s in ctx.services.all if s.demo and service_name in (None, s.name)), None)
    if service is None or service.demo is None:
        raise DemoFailed(f"no installed service {service_name or ''} has a demo".replace("  ", " "))
    demo = service.demo
    departments = service.departments.groups
    app = create_app(context=ctx)
    tokens = {}
    for name, spec in demo_users(service).items():
        tokens[name] = add_user(ctx, f"demo-{name}-{ctx.clock.now():%H%M%S%f}", **spec)
    client = app.test_client()
    worker = Worker(ctx, name="demo-worker")

    def auth(user):
        return {"Authorization": f"Bearer {tokens[user]}"}

    def line(step, department, who, result):
        print(f"{ctx.clock.now():%Y-%m-%d %H:%M}  {pad(step, 22)}{pad(department, 14)}{pad(who, 22)}{result}", file=out)

    defs = _check(client.get("/api/process-definitions", headers=auth("analyst")), 200)
    latest = max((d for d in defs if d["key"] == demo.process_key), key=lambda d: d["version"])
    print(
        f"{service.title}：流程 {demo.process_key} 第 {latest['version']} 版已部署 ({latest['deployed_at']})", file=out
    )
    print(f"{pad('时间', 18)}{pad('环节', 22)}{pad('部门', 14)}{pad('经办人', 22)}结果", file=out)

    started = _check(
        client.post(
            f"/api/process-definitions/{demo.process_key}/start",
            headers=auth("portal"),
            json={"variables": demo.request(ctx.clock.now())},
        ),
        201,
    )
    line("提交申请", "门户", "portal", f"受理号 {started['business_key']}")
    worker.run_until_idle()

    seen_history = 0
    for _ in range(20):
        instance = _check(client.get(f"/api/process-instances/{started['id']}", headers=auth("portal")), 200)
        seen_history = _print_service_steps(client, auth("supervisor"), started["id"], seen_history, line, departments)
        if instance["state"] != "active":
            break
        for waiting in instance.get("waiting_for", []):
            name = waiting["message"]
            step, variables = demo.messages.get(name, (name, {}))
            _check(
                client.post(
                    "/api/messages",
                    headers=auth("portal"),
                    json={"name": name, "business_key": started["business_key"], "variables": variables},
                ),
                200,
            )
            line(step, "申请人", "portal", "已确认")
            worker.run_until_idle()
        for step in instance["open_steps"]:
            clerk = f"clerk_{step['group']}"
            _check(client.post(f"/api/tasks/{step['task_id']}/claim", headers=auth(clerk)), 200)
            task = _check(client.get(f"/api/tasks/{step['task_id']}", headers=auth(clerk)), 200)
            _check(
                client.post(
                    f"/api/tasks/{step['task_id']}/complete",
                    headers=auth(clerk),
                    json={"variables": demo.approval(task["form_key"])},
                ),
                200,
            )
            line(step["name"], departments[step["group"]], clerk, "审核通过")
            worker.run_until_idle()
    instance = _check(client.get(f"/api/process-instances/{started['id']}", headers=auth("portal")), 200)
    _print_service_steps(client, auth("supervisor"), started["id"], seen_history, line, departments)
    progress = _check(client.get(f"/api/applications/{started['business_key']}/progress", headers=auth("portal")), 200)
    print("", file=out)
    for item in progress["items"]:
        print(f"  {pad(item['name'], 22)}{pad(item['department'], 14)}{item['status_text']}", file=out)
    for notice in progress["next_steps"]:
        print(f"  提示: {notice['text']}", file=out)
    print(f"\n申请 {started['business_key']} 状态: {instance['state']}（{progress['state_text']}）", file=out)
    return instance["state"]


def _print_service_steps(client, headers, instance_id, seen, line, departments) -> int:
    history = _check(client.get(f"/api/process-instances/{instance_id}/history?per_page=200", headers=headers), 200)[
        "items"
    ]
    for event in history[seen:]:
        if event["kind"] == "service_task_completed":
            result = event["detail"].get("result") or {}
            shown = next(
                (f"{k}={v}" for k, v in result.items() if k.endswith("number") and "id_number" not in k), "完成"
            )
            line(
                event["activity_name"] or event["activity_id"],
                departments.get(event["department"], event["department"]),
                "系统",
                shown,
            )
    return len(history)
