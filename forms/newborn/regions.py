"""The regions the newborn service runs in, and their profiles: the data behind every rule that differs between
Gansu and Guizhou, in one file (``regions.json`` next to this module, read once).

The forms read a region's name and division prefix; the handlers never branch on the region's name, they
read its profile. A new region is a new entry there, not new code. Keys starting with ``_`` are comments.

What a profile holds (RULES numbers in brackets):

* ``birth_certificate.counterfoil_mailed_to_police_station`` -- the midwifery institution mails the
  counterfoil (副页) to the hukou's police station (R2.9, Guizhou).
* ``police_visit`` -- the visit to the police station after the birth registration: whether it is required,
  within how many working days of approval (R2.8, Gansu: 3), what to bring and why.
* ``social_security_card`` -- the delivery options offered (R2.11: Gansu also mails the card) and what to bring
  to the bank branch.
* ``medical_insurance`` -- the enrolment window (R6.1: 90 days inclusive), the late-payment rule (R6.3, Guizhou:
  full premium plus subsidy, coverage after a 60-day wait), and the payment channels (R2.10). Which years may
  be chosen (R6.2) is the eligibility table's, not a profile's.
* ``maternity_reimbursement.manual_claim_materials`` -- the materials of a manual (零星) claim (R2.12).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Mapping

PROFILES_FILE = Path(__file__).with_name("regions.json")

DELIVERY_MODES = ("mail", "pickup")
LATE_PREMIUMS = ("individual_plus_subsidy",)


class UnknownRegion(LookupError):
    """No profile for this region code."""


@dataclass(frozen=True)
class PoliceVisit:
    rule: str
    required: bool
    within_working_days: int | None
    bring: tuple[str, ...]
    purpose: str


@dataclass(frozen=True)
class CardProfile:
    delivery_options: tuple[str, ...]
    default_delivery: str
    pickup_bring: tuple[str, ...]


@dataclass(frozen=True)
class LatePayment:
    coverage_waiting_days: int  # coverage starts the day after this many days from payment (R6.3: 60 → 61st day)
    premium: str


@dataclass(frozen=True)
class InsuranceProfile:
    enrolment_window_days: int
    late_payment: LatePayment | None
    payment_channels: tuple[str, ...]


@dataclass(frozen=True)
class RegionProfile:
    code: str
    name: str
    division_prefix: str
    counterfoil_mailed_to_police_station: bool
    police_visit: PoliceVisit
    social_security_card: CardProfile
    medical_insurance: InsuranceProfile
    manual_claim_materials: tuple[str, ...]


def _fields(section: Any, where: str, required: set[str]) -> dict:
    if not isinstance(section, Mapping):
        raise ValueError(f"{where}: expected an object")
    data = {k: v for k, v in section.items() if not k.startswith("_")}
    missing, unknown = required - set(data), set(data) - required
    if missing or unknown:
        raise ValueError(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return data


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def _parse(code: str, raw: Any) -> RegionProfile:
    top = _fields(
        raw,
        code,
        {
            "name",
            "division_prefix",
            "birth_certificate",
            "police_visit",
            "social_security_card",
            "medical_insurance",
            "maternity_reimbursement",
        },
    )
    if not (isinstance(top["division_prefix"], str) and top["division_prefix"].isdigit()):
        raise ValueError(f"{code}.division_prefix: expected GB/T 2260 digits")

    bc = _fields(top["birth_certificate"], f"{code}.birth_certificate", {"counterfoil_mailed_to_police_station"})

    pv = _fields(
        top["police_visit"], f"{code}.police_visit", {"rule", "required", "within_working_days", "bring", "purpose"}
    )
    within = pv["within_working_days"]
    if within is not None and not (isinstance(within, int) and within >= 0):
        raise ValueError(f"{code}.police_visit.within_working_days: expected a number of working days or null")
    if pv["required"] and within is None:
        raise ValueError(f"{code}.police_visit: a required visit needs within_working_days")
    visit = PoliceVisit(
        str(pv["rule"]),
        bool(pv["required"]),
        within,
        _strings(pv["bring"], f"{code}.police_visit.bring"),
        str(pv["purpose"]),
    )

    sc = _fields(
        top["social_security_card"],
        f"{code}.social_security_card",
        {"delivery_options", "default_delivery", "pickup_bring"},
    )
    options = _strings(sc["delivery_options"], f"{code}.social_security_card.delivery_options")
    if not set(options) <= set(DELIVERY_MODES) or sc["default_delivery"] not in options:
        raise ValueError(
            f"{code}.social_security_card: delivery options must be among {DELIVERY_MODES} and include the default"
        )
    card = CardProfile(options, sc["default_delivery"], tuple(sc["pickup_bring"]))

    mi = _fields(
        top["medical_insurance"],
        f"{code}.medical_insurance",
        {"enrolment_window_days", "late_payment", "payment_channels"},
    )
    late = None
    if mi["late_payment"] is not None:
        lp = _fields(mi["late_payment"], f"{code}.medical_insurance.late_payment", {"coverage_waiting_days", "premium"})
        if lp["premium"] not in LATE_PREMIUMS or not isinstance(lp["coverage_waiting_days"], int):
            raise ValueError(f"{code}.medical_insurance.late_payment: bad premium or waiting days")
        late = LatePayment(lp["coverage_waiting_days"], lp["premium"])
    insurance = InsuranceProfile(int(mi["enrolment_window_days"]), late, tuple(mi["payment_channels"]))

    mr = _fields(top["maternity_reimbursement"], f"{code}.maternity_reimbursement", {"manual_claim_materials"})

    return RegionProfile(
        code=code,
        name=str(top["name"]),
        division_prefix=top["division_prefix"],
        counterfoil_mailed_to_police_station=bool(bc["counterfoil_mailed_to_police_station"]),
        police_visit=visit,
        social_security_card=card,
        medical_insurance=insurance,
        manual_claim_materials=_strings(mr["manual_claim_materials"], f"{code}.maternity_reimbursement"),
    )


def load_profiles(data: Mapping) -> dict[str, RegionProfile]:
    """Validate the content of ``regions.json``."""
    return {code: _parse(code, raw) for code, raw in data.items() if not code.startswith("_")}


@cache
def profiles() -> dict[str, RegionProfile]:
    with PROFILES_FILE.open(encoding="utf-8") as f:
        return load_profiles(json.load(f))


def profile(region: str) -> RegionProfile:
    try:
        return profiles()[region]
    except (KeyError, TypeError):
        raise UnknownRegion(f"no region profile for {region!r}") from None


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    division_prefix: str  # GB/T 2260 prefix of the province's division codes


REGIONS: dict[str, Region] = {code: Region(code, p.name, p.division_prefix) for code, p in profiles().items()}
REGION_CODES: tuple[str, ...] = tuple(REGIONS)
