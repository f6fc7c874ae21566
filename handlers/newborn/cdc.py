"""CDC (疾控部门): the vaccination certificate (预防接种证).

``cdc.issue_vaccination_certificate`` runs alongside the other items (R2.3). The certificate belongs to CDC's
immunisation planning system (免疫规划信息管理系统) but is issued by the midwifery institution on the spot after
the first vaccine dose (RULES §1); its number (预防接种证编号) is ``JZ`` + yyyymmdd + 6 digits.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Callable, Protocol

from engine.handlers import HandlerRegistry, HandlerResult, Ledger, Notice, ServiceCall

from .common import application, bind, once, section, serial, today

log = logging.getLogger(__name__)

DEPARTMENT = "cdc"
ITEM = "vaccination_certificate"


class CdcSystem(Protocol):
    """The immunisation planning system. Idempotent on ``key``."""

    def issue_vaccination_certificate(self, key: str, *, on: date, institution: str) -> dict:
        """Returns ``{"certificate_number", "issued_on", "issued_by"}``."""


class LocalCdcSystem:
    """In-process immunisation system keeping its records in the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def issue_vaccination_certificate(self, key, *, on, institution):
        return once(
            self.ledger,
            DEPARTMENT,
            f"issue:{key}",
            lambda: {
                "certificate_number": serial(self.ledger, "cdc.vaccination_certificate", "JZ", on),
                "issued_on": on.isoformat(),
                "issued_by": institution,
            },
        )


def issue_vaccination_certificate(call: ServiceCall, system: CdcSystem) -> HandlerResult:
    """RULES §1 / R2.3: issued on the spot by the midwifery institution."""
    app = application(call)
    institution = section(section(app, "newborn"), "birth_place").get("institution") or "助产机构"
    record = system.issue_vaccination_certificate(call.idempotency_key, on=today(call), institution=institution)
    log.info("vaccination certificate %s issued for %s", record["certificate_number"], call.business_key)
    record["number"] = record["certificate_number"]
    notice = Notice(
        "applicant",
        f"预防接种证（编号{record['certificate_number']}）已由{record['issued_by']}办理，"
        "请按预防接种证上的时间带新生儿接种疫苗。",
        place=record["issued_by"],
    )
    return HandlerResult(item=ITEM, result=record, notices=(notice,))


def local_system(call: ServiceCall) -> CdcSystem:
    return LocalCdcSystem(call.ledger)


def register(registry: HandlerRegistry, system_factory: Callable[[ServiceCall], CdcSystem] = local_system) -> None:
    registry.register("cdc.issue_vaccination_certificate", bind(issue_vaccination_certificate, system_factory))
