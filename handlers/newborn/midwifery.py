"""Midwifery institution (助产机构, under Health): first issue of the Medical Birth Certificate (出生医学证明).

``midwifery.issue_birth_certificate`` comes first (R2.1). The midwifery clerk enters the printed certificate's
number in the review (``reviews.birth_certificate_review.certificate_number``); the system issues the
electronic certificate (电子证照) with its counterfoil (含副页) and pushes it to the provincial platform (R2.13).
Where the region profile says so, the institution cuts the counterfoil and mails it to the police station of
the hukou (R2.9, Guizhou). The applicant is told how the paper certificate reaches them (mail or pickup at the
institution, ``application.delivery.birth_certificate``).

A number already issued for another application is refused with the business error
``certificate_number_taken`` (the clerk mistyped it, or took the wrong form): the process's error boundary
event sends the application back to the midwifery review, where the clerk corrects it.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Callable, Protocol

from engine.handlers import BusinessError, HandlerError, HandlerRegistry, HandlerResult, Ledger, Notice, ServiceCall

from .common import application, bind, once, region_profile, review, section, serial, today

log = logging.getLogger(__name__)

DEPARTMENT = "midwifery"
ITEM = "birth_certificate"
REVIEW = "birth_certificate_review"
CERTIFICATE_NUMBER_TAKEN = "certificate_number_taken"  # the errorCode the process catches


class MidwiferySystem(Protocol):
    """The birth-certificate management system (出生医学证明管理系统). Idempotent on ``key``."""

    def issue_birth_certificate(
        self, key: str, *, certificate_number: str, on: date, mail_counterfoil_to_police: bool
    ) -> dict:
        """Issue the electronic certificate for a printed certificate number; returns
        ``{"certificate_number", "licence_number", "issued_on", "counterfoil": {...}}``."""


class LocalMidwiferySystem:
    """In-process birth-certificate system keeping its records in the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def issue_birth_certificate(self, key, *, certificate_number, on, mail_counterfoil_to_police):
        found = self.ledger.recall(DEPARTMENT, f"issue:{key}")
        if found is None:
            holder = self.ledger.recall(DEPARTMENT, f"certificate:{certificate_number}")
            if holder is not None and holder.get("key") != key:
                raise BusinessError(
                    CERTIFICATE_NUMBER_TAKEN, "该出生医学证明编号已被其他申请使用，请核对纸质证件上的编号后重新填写"
                )

        def make() -> dict:
            record = {
                "certificate_number": certificate_number,
                "licence_number": serial(self.ledger, "midwifery.licence", "CSZM", on),
                "issued_on": on.isoformat(),
                "counterfoil": {
                    "included": True,
                    "mailed_to_police_station": bool(mail_counterfoil_to_police),
                    "mail_number": (
                        serial(self.ledger, "midwifery.counterfoil_mail", "FY", on)
                        if mail_counterfoil_to_police
                        else None
                    ),
                },
            }
            self.ledger.remember(DEPARTMENT, f"certificate:{certificate_number}", {"key": key})
            return record

        return once(self.ledger, DEPARTMENT, f"issue:{key}", make)


def issue_birth_certificate(call: ServiceCall, system: MidwiferySystem) -> HandlerResult:
    """R2.1 / R2.13 (and R2.9 where the profile mails the counterfoil)."""
    app = application(call)
    number = str(review(call, REVIEW).get("certificate_number") or "").strip()
    if not number:
        raise HandlerError("审核结果中没有出生医学证明编号：应由助产机构人员填写纸质证件上的编号")
    profile = region_profile(call)
    record = system.issue_birth_certificate(
        call.idempotency_key,
        certificate_number=number,
        on=today(call),
        mail_counterfoil_to_police=profile.counterfoil_mailed_to_police_station,
    )
    log.info("birth certificate issued for %s (licence %s)", call.business_key, record["licence_number"])

    delivery = section(app, "delivery").get("birth_certificate") or "pickup"
    institution = section(section(app, "newborn"), "birth_place").get("institution") or "助产机构"
    record.update(number=record["certificate_number"], delivery=delivery, institution=institution)

    notices = []
    if delivery == "mail":
        text = (
            f"《出生医学证明》（编号{number}）已签发，电子证照已推送至省一体化政务服务平台；"
            "纸质证件将邮寄至您填写的收件地址。"
        )
        notices.append(Notice("applicant", text))
    else:
        text = (
            f"《出生医学证明》（编号{number}）已签发，电子证照已推送至省一体化政务服务平台；"
            f"请到{institution}领取纸质证件。"
        )
        notices.append(Notice("applicant", text, place=institution))
    if record["counterfoil"]["mailed_to_police_station"]:
        station = section(app, "hukou").get("police_station") or None
        notices.append(
            Notice(
                "police",
                f"《出生医学证明》（编号{number}）副页已由{institution}邮寄至户籍地派出所，邮寄编号"
                f"{record['counterfoil']['mail_number']}。",
                place=station,
            )
        )
    return HandlerResult(item=ITEM, result=record, notices=tuple(notices))


def local_system(call: ServiceCall) -> MidwiferySystem:
    return LocalMidwiferySystem(call.ledger)


def register(
    registry: HandlerRegistry, system_factory: Callable[[ServiceCall], MidwiferySystem] = local_system
) -> None:
    registry.register("midwifery.issue_birth_certificate", bind(issue_birth_certificate, system_factory))
