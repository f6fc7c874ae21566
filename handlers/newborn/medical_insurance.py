"""Medical Insurance bureau (医保部门): resident medical insurance enrolment and maternity reimbursement.

``medical_insurance.enrol`` (R2.2, after the birth registration; R6): the enrolment years allowed for the birth
date by the region profile, the applicant's choice (当年 / 次年 / 当年加次年), coverage per year, and the date by
which the premium must be paid (birth + 90 days, R6.1). R6.2 (Gansu): only a baby born 1 October - 31 December
may enrol for the next year. R6.3 (Guizhou): a premium paid later than 90 days after birth costs the full
individual premium plus the government subsidy and coverage begins on the 61st day after payment -- see
:func:`coverage_start`. R2.10: the applicant pays through the channels the profile lists; enrolment completes
when payment is confirmed. The enrolment number is ``YB`` + yyyymmdd + 6 digits.

``medical_insurance.confirm_enrolment`` (R2.10): the premium was paid (message ``premium_paid``); enrolment
completes and coverage begins per :func:`coverage_start`.

``medical_insurance.reimburse_maternity`` (R2.12): normally settled directly at discharge (免申请即享), with no
claim; otherwise a manual (零星) claim (``BX`` + yyyymmdd + 6 digits) and the materials it needs.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Callable, Protocol

from engine.handlers import HandlerError, HandlerRegistry, HandlerResult, Ledger, Notice, ServiceCall
from forms.newborn.regions import LatePayment

from .common import application, bind, birth_date, once, region_profile, section, serial, today

log = logging.getLogger(__name__)

DEPARTMENT = "medical_insurance"
ENROL_ITEM = "medical_insurance"
MATERNITY_ITEM = "maternity_reimbursement"

CURRENT, NEXT, CURRENT_AND_NEXT = "current", "next", "current_and_next"
YEAR_CHOICES = {CURRENT: "当年", NEXT: "次年", CURRENT_AND_NEXT: "当年加次年"}


class LatePaymentNotProvided(ValueError):
    """The region has no rule for a premium paid after the enrolment window."""


COVERAGE_REFUSALS = {  # why coverage_start refused a payment, for the incident
    LatePaymentNotProvided: "缴费晚于出生后的参保期限，本地区没有逾期缴费的规定",
    ValueError: "缴费日期早于出生日期",
}


# --- R6: pure rules ---------------------------------------------------------------------------------------


def coverage_periods(born: date, choice: str) -> list[dict]:
    """Coverage per enrolment year, assuming the premium is paid within the window (R6.1 / R6.2).

    current: birth → 31 Dec; next: birth → 31 Dec of the next year (R6.2); current_and_next: both years.
    """
    year = born.year
    this_year = {"year": year, "start": born.isoformat(), "end": date(year, 12, 31).isoformat()}
    if choice == CURRENT:
        return [this_year]
    if choice == NEXT:
        return [{"year": year + 1, "start": born.isoformat(), "end": date(year + 1, 12, 31).isoformat()}]
    if choice == CURRENT_AND_NEXT:
        return [
            this_year,
            {"year": year + 1, "start": date(year + 1, 1, 1).isoformat(), "end": date(year + 1, 12, 31).isoformat()},
        ]
    raise ValueError(f"unknown enrolment year choice {choice!r}")


def premium_due_by(born: date, window_days: int = 90) -> date:
    """The last day a premium paid still covers the baby from birth: birth + 90 days, inclusive (R6.1)."""
    return born + timedelta(days=window_days)


def coverage_start(born: date, paid_on: date, *, window_days: int = 90, late: LatePayment | None = None) -> date:
    """R6.1 / R6.3: the day coverage begins for a premium paid on ``paid_on``.

    Paid within ``window_days`` of birth (inclusive) → the date of birth. Paid later → only where the region
    has a late-payment rule (Guizhou: 从缴费之日起60日后[不含60日]), the day after the waiting period, i.e. the
    61st day after payment (paid_on + 61 days). Without such a rule, LatePaymentNotProvided.
    """
    if paid_on < born:
        raise ValueError("the premium cannot be paid before the birth")
    if paid_on <= premium_due_by(born, window_days):
        return born
    if late is None:
        raise LatePaymentNotProvided("no late-payment rule: enrolment is within the window after birth")
    return paid_on + timedelta(days=late.coverage_waiting_days + 1)


# --- the department system -------------------------------------------------------------------------------


class MedicalInsuranceSystem(Protocol):
    """The medical insurance system (医疗保障系统 / 税务社保缴费客户端). Idempotent on ``key``."""

    def enrol(self, key: str, *, on: date, years: list[int], insured_division: str | None) -> dict:
        """Enter the enrolment data; returns ``{"enrolment_number", "enrolled_on", "years", "insured_division"}``."""

    def open_maternity_claim(self, key: str, *, on: date) -> dict:
        """Open a manual (零星) maternity claim; returns ``{"claim_number", "opened_on"}``."""


class LocalMedicalInsuranceSystem:
    """In-process medical insurance system keeping its records in the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def enrol(self, key, *, on, years, insured_division):
        return once(
            self.ledger,
            DEPARTMENT,
            f"enrol:{key}",
            lambda: {
                "enrolment_number": serial(self.ledger, "medical_insurance.enrolment", "YB", on),
                "enrolled_on": on.isoformat(),
                "years": list(years),
                "insured_division": insured_division,
            },
        )

    def open_maternity_claim(self, key, *, on):
        return once(
            self.ledger,
            DEPARTMENT,
            f"maternity:{key}",
            lambda: {
                "claim_number": serial(self.ledger, "medical_insurance.maternity_claim", "BX", on),
                "opened_on": on.isoformat(),
            },
        )


# --- handlers --------------------------------------------------------------------------------------------


def enrol(call: ServiceCall, system: MedicalInsuranceSystem) -> HandlerResult:
    """R6.1-R6.3 / R2.10: enrolment for the allowed and chosen years; how and by when to pay."""
    app = application(call)
    insurance = region_profile(call).medical_insurance
    born = birth_date(app)
    form = section(app, "medical_insurance")
    choice = form.get("year") or CURRENT
    if choice not in YEAR_CHOICES:
        raise HandlerError("申请中的参保年度应为" + "、".join(YEAR_CHOICES.values()) + "之一")
    # which years may be chosen (R6.2) is the eligibility table's: an application with a year it refuses
    # never starts, so the handler has no copy of that rule
    periods = coverage_periods(born, choice)
    due = premium_due_by(born, insurance.enrolment_window_days)
    record = system.enrol(
        call.idempotency_key,
        on=today(call),
        years=[p["year"] for p in periods],
        insured_division=form.get("insured_division"),
    )
    log.info("medical insurance enrolment %s for %s", record["enrolment_number"], call.business_key)
    late = insurance.late_payment
    record.update(
        number=record["enrolment_number"],
        year_choice=choice,
        coverage=periods,
        premium_due_by=due.isoformat(),
        late_payment=(
            None
            if late is None
            else {
                "premium": late.premium,
                "coverage_starts_days_after_payment": late.coverage_waiting_days + 1,
            }
        ),
        payment_channels=list(insurance.payment_channels),
    )

    channels = "、".join(insurance.payment_channels)
    years = "、".join(f"{p['year']}年" for p in periods)
    text = (
        f"新生儿{years}城乡居民医保参保登记信息已录入（登记编号{record['enrolment_number']}）。"
        f"请于{due.isoformat()}前"
        + (f"通过{channels}等渠道" if channels else "按规定")
        + f"缴纳参保费，缴费确认后参保登记办结，自出生之日起至{periods[-1]['end']}享受城乡居民医保待遇。"
    )
    if late is not None:
        text += (
            f"出生{insurance.enrolment_window_days}日后缴费的，需按年度个人缴费标准和政府补助标准之和缴纳，"
            f"并自缴费之日起{late.coverage_waiting_days}日后（不含{late.coverage_waiting_days}日）才享受待遇。"
        )
    return HandlerResult(item=ENROL_ITEM, result=record, notices=(Notice("applicant", text, due=due.isoformat()),))


def confirm_enrolment(call: ServiceCall, system: MedicalInsuranceSystem) -> HandlerResult:
    """R2.10 / R6.1 / R6.3: payment confirmed (message ``premium_paid``) → enrolled, coverage from when."""
    enrolment = section(call.variables.get("results"), ENROL_ITEM)
    if not enrolment.get("enrolment_number"):
        raise HandlerError("没有可确认的参保登记：居民医保参保登记尚未办理")
    payment = section(call.variables, "premium_paid")
    paid_text = payment.get("paid_on") or today(call).isoformat()
    try:
        paid_on = date.fromisoformat(str(paid_text)[:10])
    except ValueError:
        raise HandlerError("缴费消息中的缴费日期（paid_on）不是日期（YYYY-MM-DD）") from None
    insurance = region_profile(call).medical_insurance
    born = birth_date(application(call))
    try:
        starts = coverage_start(born, paid_on, window_days=insurance.enrolment_window_days, late=insurance.late_payment)
    except (LatePaymentNotProvided, ValueError) as err:
        raise HandlerError(f"{paid_on.isoformat()}缴纳的参保费无法确认：{COVERAGE_REFUSALS[type(err)]}") from None
    record = {
        **enrolment,
        "status": "enrolled",
        "paid_on": paid_on.isoformat(),
        "coverage_start": starts.isoformat(),
        "payment_channel": payment.get("channel"),
    }
    ends = enrolment.get("coverage", [{}])[-1].get("end")
    text = (
        f"医保缴费已确认（登记编号{record['enrolment_number']}），参保登记已办结，"
        f"自{starts.isoformat()}起" + (f"至{ends}" if ends else "") + "享受城乡居民医保待遇。"
    )
    log.info("medical insurance enrolment %s confirmed for %s", record["enrolment_number"], call.business_key)
    return HandlerResult(item=ENROL_ITEM, result=record, notices=(Notice("applicant", text),))


def reimburse_maternity(call: ServiceCall, system: MedicalInsuranceSystem) -> HandlerResult:
    """R2.12: settled at discharge → nothing to claim; otherwise a manual claim and its materials."""
    app = application(call)
    form = section(app, "maternity_reimbursement")
    if form.get("settled_at_discharge"):
        notice = Notice("applicant", "生育医疗费用已在出院时通过医保系统直接结算，无需另行申请。")
        return HandlerResult(item=MATERNITY_ITEM, result={"mode": "settled_at_discharge"}, notices=(notice,))
    materials = region_profile(call).manual_claim_materials
    record = system.open_maternity_claim(call.idempotency_key, on=today(call))
    log.info("manual maternity claim %s for %s", record["claim_number"], call.business_key)
    account_given = all(form.get(k) for k in ("bank_name", "account_number", "account_holder"))
    record.update(
        number=record["claim_number"], mode="manual_claim", materials=list(materials), bank_account_given=account_given
    )
    text = (
        f"生育医疗费用未在出院时直接结算，已为您登记手工（零星）报销（报销编号{record['claim_number']}）。"
        f"请提交以下材料：{'、'.join(materials)}。"
    )
    if not account_given:
        text += "申请表中的银行账户信息不完整，请补充开户行名称、银行账户和户名。"
    return HandlerResult(item=MATERNITY_ITEM, result=record, notices=(Notice("applicant", text),))


def local_system(call: ServiceCall) -> MedicalInsuranceSystem:
    return LocalMedicalInsuranceSystem(call.ledger)


def register(
    registry: HandlerRegistry, system_factory: Callable[[ServiceCall], MedicalInsuranceSystem] = local_system
) -> None:
    registry.register("medical_insurance.enrol", bind(enrol, system_factory))
    registry.register("medical_insurance.reimburse_maternity", bind(reimburse_maternity, system_factory))
    registry.register("medical_insurance.confirm_enrolment", bind(confirm_enrolment, system_factory))
