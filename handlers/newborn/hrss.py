"""Human Resources and Social Security (人社部门): the social security card application (社会保障卡申领).

``hrss.apply_card`` runs after the birth registration, in parallel with medical insurance (R2.2). R2.11: the
applicant chose the issuing bank; HRSS generates the card data and sends it to that bank; the applicant is told
to collect the card at a branch of the bank, or it is mailed where the region profile offers mail (Gansu).
The application number is ``SB`` + yyyymmdd + 6 digits.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Callable, Protocol

from engine.handlers import HandlerError, HandlerRegistry, HandlerResult, Ledger, Notice, ServiceCall

from .common import application, bind, once, region_profile, section, serial, today

log = logging.getLogger(__name__)

DEPARTMENT = "hrss"
ITEM = "social_security_card"


class HrssSystem(Protocol):
    """The social security card system (社会保障卡卡务管理系统). Idempotent on ``key``."""

    def apply_card(self, key: str, *, on: date, bank: str, delivery: str) -> dict:
        """Register the application and send the card data to the bank; returns
        ``{"application_number", "applied_on", "bank", "delivery"}``."""


class LocalHrssSystem:
    """In-process card system keeping its records in the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def apply_card(self, key, *, on, bank, delivery):
        return once(
            self.ledger,
            DEPARTMENT,
            f"apply:{key}",
            lambda: {
                "application_number": serial(self.ledger, "hrss.card_application", "SB", on),
                "applied_on": on.isoformat(),
                "bank": bank,
                "delivery": delivery,
            },
        )


def apply_card(call: ServiceCall, system: HrssSystem) -> HandlerResult:
    """R2.11: card application at the chosen bank, delivered as chosen where the region offers it."""
    app = application(call)
    bank = str(section(app, "social_security_card").get("bank") or "").strip()
    if not bank:
        raise HandlerError("申请中没有选择社会保障卡的服务银行（R2.11）")
    card = region_profile(call).social_security_card
    requested = section(app, "delivery").get("social_security_card") or card.default_delivery
    delivery = requested if requested in card.delivery_options else card.default_delivery
    record = system.apply_card(call.idempotency_key, on=today(call), bank=bank, delivery=delivery)
    log.info("social security card application %s for %s", record["application_number"], call.business_key)
    record.update(number=record["application_number"], delivery_requested=requested)

    if record["delivery"] == "mail":
        text = (
            f"社会保障卡申领已受理（申领编号{record['application_number']}），制卡数据已推送至{record['bank']}，"
            "制卡完成后将邮寄至您填写的收件地址。"
        )
    else:
        bring = "、".join(card.pickup_bring)
        text = (
            f"社会保障卡申领已受理（申领编号{record['application_number']}），制卡数据已推送至{record['bank']}。"
            f"制卡完成后请到{record['bank']}网点领取并激活" + (f"，请携带{bring}" if bring else "") + "。"
        )
        if requested != record["delivery"]:
            text += "本地社会保障卡暂不提供邮寄，需到银行网点领取。"
    return HandlerResult(item=ITEM, result=record, notices=(Notice("applicant", text, place=record["bank"]),))


def local_system(call: ServiceCall) -> HrssSystem:
    return LocalHrssSystem(call.ledger)


def register(registry: HandlerRegistry, system_factory: Callable[[ServiceCall], HrssSystem] = local_system) -> None:
    registry.register("hrss.apply_card", bind(apply_card, system_factory))
