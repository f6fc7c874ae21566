"""Government service centre (政务服务中心, 综合窗口): acceptance and dispatch, result push, result feedback.

* ``service_center.dispatch`` -- one acceptance for the whole application (R1.2) with an acceptance number
  (受理编号 ``SL`` + yyyymmdd + 6 digits) and the departments the chosen items go to (R2.4, 一键分发).
* ``service_center.push_results`` -- after police registered the birth, the result is pushed to Health, CDC,
  Medical Insurance and HRSS (R2.5).
* ``service_center.notify_result`` -- the final feedback to the applicant with each chosen item's result (R2.7).
* ``service_center.report_overdue`` -- a step passed its time limit: a notice to the department and to
  supervision (R5.3, 全闭环监测), with a report number (``DB`` + yyyymmdd + 6 digits).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Callable, Protocol

from engine.handlers import HandlerError, HandlerRegistry, HandlerResult, Ledger, Notice, ServiceCall
from forms.newborn.items import ITEM_CODES, ITEMS_BY_CODE

from .common import application, bind, item_name, once, section, serial, today

log = logging.getLogger(__name__)

DEPARTMENT = "service_center"

# R2.5: the departments the police result is pushed to.
PUSH_RECIPIENTS: tuple[str, ...] = ("health", "cdc", "medical_insurance", "hrss")

# How a result without a number reads in the final feedback (R2.7).
MODE_TEXT = {"settled_at_discharge": "出院时已直接结算，无需申请"}


class ServiceCenterSystem(Protocol):
    """The service centre's platform (政务服务网). Every method is idempotent on ``key``."""

    def accept(self, key: str, *, on: date, items: list[str], departments: list[str], channel: str | None) -> dict:
        """Record the acceptance; returns ``{"acceptance_number", "accepted_on", ...}``."""

    def push(self, key: str, *, on: date, source_item: str, reference: str | None, departments: list[str]) -> dict:
        """Push a department's result to other departments; returns ``{"push_id", "pushed_on", ...}``."""

    def notify(self, key: str, *, on: date, lines: list[dict]) -> dict:
        """Record the result feedback to the applicant; returns ``{"notice_id", "notified_on", ...}``."""

    def report_overdue(self, key: str, *, on: date, item: str | None, department: str) -> dict:
        """Record an overdue step for supervision; returns ``{"report_number", "reported_on", ...}``."""


class LocalServiceCenterSystem:
    """In-process service centre keeping its records in the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def accept(self, key, *, on, items, departments, channel):
        return once(
            self.ledger,
            DEPARTMENT,
            f"accept:{key}",
            lambda: {
                "acceptance_number": serial(self.ledger, "service_center.acceptance", "SL", on),
                "accepted_on": on.isoformat(),
                "channel": channel,
                "items": list(items),
                "departments": list(departments),
            },
        )

    def push(self, key, *, on, source_item, reference, departments):
        return once(
            self.ledger,
            DEPARTMENT,
            f"push:{key}",
            lambda: {
                "push_id": serial(self.ledger, "service_center.push", "TS", on),
                "pushed_on": on.isoformat(),
                "source_item": source_item,
                "reference": reference,
                "departments": list(departments),
            },
        )

    def notify(self, key, *, on, lines):
        return once(
            self.ledger,
            DEPARTMENT,
            f"notify:{key}",
            lambda: {
                "notice_id": serial(self.ledger, "service_center.notice", "FK", on),
                "notified_on": on.isoformat(),
                "items": [dict(line) for line in lines],
            },
        )

    def report_overdue(self, key, *, on, item, department):
        return once(
            self.ledger,
            DEPARTMENT,
            f"overdue:{key}",
            lambda: {
                "report_number": serial(self.ledger, "service_center.overdue", "DB", on),
                "reported_on": on.isoformat(),
                "item": item,
                "department": department,
            },
        )


def chosen_items(call: ServiceCall) -> list[str]:
    """The chosen item codes in the order of RULES §1 (from ``chosen``, else the application's ``items``)."""
    chosen = call.variables.get("chosen")
    if isinstance(chosen, dict):
        return [code for code in ITEM_CODES if chosen.get(code)]
    picked = set(application(call).get("items") or ())
    return [code for code in ITEM_CODES if code in picked]


def dispatch(call: ServiceCall, system: ServiceCenterSystem) -> HandlerResult:
    """R2.4 / R1.2: one acceptance number, the work dispatched to each department owning a chosen item."""
    items = chosen_items(call)
    if not items:
        raise HandlerError("申请没有选择任何联办事项（R1.1）")
    departments = list(dict.fromkeys(ITEMS_BY_CODE[code].department for code in items))
    channel = call.variables.get("channel") or application(call).get("channel")
    record = system.accept(call.idempotency_key, on=today(call), items=items, departments=departments, channel=channel)
    number = record["acceptance_number"]
    log.info("accepted %s as %s for %d items", call.business_key, number, len(items))
    notices = [
        Notice("applicant", f"您的新生儿出生“一件事”联办申请已受理，受理编号{number}。可在政务服务网随时查询办理进度。")
    ]
    for department in record["departments"]:
        names = "、".join(item_name(c) for c in record["items"] if ITEMS_BY_CODE[c].department == department)
        notices.append(Notice(department, f"联办申请{number}已分发，请办理：{names}。"))
    return HandlerResult(item=None, result=record, notices=tuple(notices))


def push_results(call: ServiceCall, system: ServiceCenterSystem) -> HandlerResult:
    """R2.5: the hukou registration result is pushed to Health, CDC, Medical Insurance and HRSS."""
    hukou = section(call.variables.get("results"), "hukou_registration")
    if not hukou:
        raise HandlerError("没有可推送的户口登记结果（R2.5：结果推送在出生登记之后）")
    record = system.push(
        call.idempotency_key,
        on=today(call),
        source_item="hukou_registration",
        reference=hukou.get("registration_number"),
        departments=list(PUSH_RECIPIENTS),
    )
    notices = tuple(
        Notice(department, f"出生登记结果（登记编号{record['reference']}）已同步，推送编号{record['push_id']}。")
        for department in record["departments"]
    )
    return HandlerResult(item=None, result=record, notices=notices)


def notify_result(call: ServiceCall, system: ServiceCenterSystem) -> HandlerResult:
    """R2.7: the final feedback, one line per chosen item with its result number (or what happened)."""
    results = call.variables.get("results") or {}
    lines = []
    for code in chosen_items(call):
        result = results.get(code)
        if not isinstance(result, dict):
            lines.append({"item": code, "name": item_name(code), "status": "not_completed", "number": None})
            continue
        number = result.get("number")
        status = "completed" if number else (result.get("mode") or "completed")
        lines.append({"item": code, "name": item_name(code), "status": status, "number": number})
    record = system.notify(call.idempotency_key, on=today(call), lines=lines)
    text_lines = []
    for line in record["items"]:
        if line["number"]:
            text_lines.append(f"{line['name']}：已办结，编号{line['number']}")
        elif line["status"] == "not_completed":
            text_lines.append(f"{line['name']}：未办结")
        else:
            text_lines.append(f"{line['name']}：{MODE_TEXT.get(line['status'], '已办结')}")
    acceptance = section(call.variables.get("steps"), "service_center.dispatch").get("acceptance_number")
    head = "您的新生儿出生“一件事”联办申请" + (f"（受理编号{acceptance}）" if acceptance else "") + "办理结果："
    return HandlerResult(item=None, result=record, notices=(Notice("applicant", head + "；".join(text_lines) + "。"),))


def report_overdue(call: ServiceCall, system: ServiceCenterSystem) -> HandlerResult:
    """R5.3: the watched step (its ``item`` property; none for the window intake) passed its time limit."""
    item = call.properties.get("item")
    department = ITEMS_BY_CODE[item].department if item in ITEMS_BY_CODE else DEPARTMENT
    record = system.report_overdue(call.idempotency_key, on=today(call), item=item, department=department)
    what = item_name(item) if item in ITEMS_BY_CODE else "窗口受理"
    acceptance = section(call.variables.get("steps"), "service_center.dispatch").get("acceptance_number")
    text = (
        f"联办申请{acceptance or call.business_key}的“{what}”已超过办结时限，请尽快办理"
        f"（督办编号{record['report_number']}）。"
    )
    notices = (Notice(department, text), Notice("supervisor", text))
    return HandlerResult(item=None, result=record, notices=notices)


def local_system(call: ServiceCall) -> ServiceCenterSystem:
    return LocalServiceCenterSystem(call.ledger)


def register(
    registry: HandlerRegistry, system_factory: Callable[[ServiceCall], ServiceCenterSystem] = local_system
) -> None:
    registry.register("service_center.dispatch", bind(dispatch, system_factory))
    registry.register("service_center.push_results", bind(push_results, system_factory))
    registry.register("service_center.notify_result", bind(notify_result, system_factory))
    registry.register("service_center.report_overdue", bind(report_overdue, system_factory))
