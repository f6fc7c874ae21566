"""Health (卫生健康部门): registration for scientific parenting guidance (科学育儿指导服务登记).

``health.register_guidance`` runs alongside the other items (R2.3): the family is registered for the
guidance services of the health department; the registration number is ``YE`` + yyyymmdd + 6 digits.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Callable, Protocol

from engine.handlers import HandlerRegistry, HandlerResult, Ledger, Notice, ServiceCall

from .common import application, bind, once, serial, today

log = logging.getLogger(__name__)

DEPARTMENT = "health"
ITEM = "parenting_guidance"


class HealthSystem(Protocol):
    """The health department's maternal and child health system. Idempotent on ``key``."""

    def register_guidance(self, key: str, *, on: date) -> dict:
        """Returns ``{"registration_number", "registered_on"}``."""


class LocalHealthSystem:
    """In-process health system keeping its records in the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def register_guidance(self, key, *, on):
        return once(
            self.ledger,
            DEPARTMENT,
            f"guidance:{key}",
            lambda: {
                "registration_number": serial(self.ledger, "health.parenting_guidance", "YE", on),
                "registered_on": on.isoformat(),
            },
        )


def register_guidance(call: ServiceCall, system: HealthSystem) -> HandlerResult:
    """R2.3: registration for scientific parenting guidance."""
    application(call)  # the variable must be there, even though nothing of it is needed
    record = system.register_guidance(call.idempotency_key, on=today(call))
    log.info("parenting guidance registration %s for %s", record["registration_number"], call.business_key)
    record["number"] = record["registration_number"]
    notice = Notice(
        "applicant",
        f"已为您登记科学育儿指导服务（登记编号{record['registration_number']}），卫生健康部门将为您提供育儿指导。",
    )
    return HandlerResult(item=ITEM, result=record, notices=(notice,))


def local_system(call: ServiceCall) -> HealthSystem:
    return LocalHealthSystem(call.ledger)


def register(registry: HandlerRegistry, system_factory: Callable[[ServiceCall], HealthSystem] = local_system) -> None:
    registry.register("health.register_guidance", bind(register_guidance, system_factory))
