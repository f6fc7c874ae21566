"""Realistic sample applications (Gansu, Lanzhou; or Guizhou, Guiyang) for the demo, the benchmark and the tests.

ID numbers are generated with valid GB 11643 check digits; the birth is a few days before ``now``.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from stdnum.cn import ric

from forms.newborn.items import ITEM_CODES


def resident_id(division: str, birth: str, sequence: int) -> str:
    """A resident ID for ``division`` (6 digits), ``birth`` (YYYYMMDD) and a 3-digit sequence."""
    body = f"{division}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


# Where the sample family lives and the baby was born, per region (GB/T 2260 divisions).
PLACES = {
    "gansu": {
        "division": "620102",
        "address": "甘肃省兰州市城关区庆阳路1号",
        "province": "甘肃省",
        "city": "兰州市",
        "county": "城关区",
        "institution": "兰州市第一人民医院",
        "institution_code": "12620100438000123X",
        "native_place": "甘肃省兰州市",
        "police_station": "兰州市公安局城关分局庆阳路派出所",
        "certificate": "J620102",
    },
    "guizhou": {
        "division": "520102",
        "address": "贵州省贵阳市南明区中华南路1号",
        "province": "贵州省",
        "city": "贵阳市",
        "county": "南明区",
        "institution": "贵州省人民医院",
        "institution_code": "12520000429000456X",
        "native_place": "贵州省贵阳市",
        "police_station": "贵阳市公安局南明分局中华南路派出所",
        "certificate": "J520102",
    },
}


def sample_application(
    now: datetime, *, items=ITEM_CODES, region: str = "gansu", channel: str = "online", seq: int = 1
) -> dict:
    """An eligible application of ``region`` (Gansu by default), the baby born two days before ``now``."""
    place = PLACES[region]
    born = now - timedelta(days=2)
    mother_id = resident_id(place["division"], "19920315", (2 * seq) % 1000)
    father_id = resident_id(place["division"], "19900101", (2 * seq + 1) % 1000)
    application = {
        "region": region,
        "channel": channel,
        "items": list(items),
        "mother": {
            "name": "王芳",
            "id_type": "resident_id",
            "id_number": mother_id,
            "nationality": "中国",
            "ethnicity": "汉族",
            "phone": "13800000001",
            "hukou_division": place["division"],
            "hukou_address": place["address"],
            "current_address": place["address"],
            "hukou_kind": "family",
            "active_military": False,
        },
        "father": {
            "name": "李强",
            "id_type": "resident_id",
            "id_number": father_id,
            "nationality": "中国",
            "ethnicity": "汉族",
            "phone": "13800000002",
            "hukou_division": place["division"],
            "hukou_address": place["address"],
            "current_address": place["address"],
            "hukou_kind": "family",
            "active_military": False,
        },
        "marriage": {"status": "married", "certificate_number": f"{place['certificate']}-2020-001234"},
        "newborn": {
            "surname": "李",
            "given_name": "安然",
            "sex": "female",
            "born_at": born.replace(microsecond=0).isoformat(),
            "birth_place": {
                "province": place["province"],
                "city": place["city"],
                "county": place["county"],
                "township": "",
                "institution": place["institution"],
                "institution_code": place["institution_code"],
            },
            "native_place": place["native_place"],
            "delivery_record_mother_id": mother_id,
        },
        "hukou": {
            "follows": "father",
            "division_code": place["division"],
            "police_station": place["police_station"],
            "householder_name": "李强",
            "householder_id_number": father_id,
            "relationship_to_householder": "子女",
        },
        "medical_insurance": {"year": "current", "insured_division": place["division"]},
        "social_security_card": {
            "bank": "中国工商银行",
            "id_valid_from": born.date().isoformat(),
            "id_valid_to": (born.date().replace(year=born.year + 5) - timedelta(days=1)).isoformat(),
        },
        "maternity_reimbursement": {
            "settled_at_discharge": True,
            "bank_name": None,
            "account_number": None,
            "account_holder": None,
        },
        "delivery": {
            "birth_certificate": "mail",
            "social_security_card": "pickup",
            "recipient_name": "李强",
            "recipient_phone": "13800000002",
            "recipient_address": place["address"],
        },
        "applicant": {"relationship": "father", "name": "李强", "phone": "13800000002"},
        "commitment_signed": True,
    }
    return copy.deepcopy(application)


APPROVALS = {
    "window_intake_review": {"decision": "approve", "materials_checked": True},
    "birth_certificate_review": {"decision": "approve", "materials_checked": True, "certificate_number": "R620000001"},
    "hukou_review": {"decision": "approve", "materials_checked": True},
}


def approval_for(form_key: str, seq: int = 1) -> dict:
    """The variables a clerk submits to approve a task with this form."""
    values = dict(APPROVALS[form_key])
    if "certificate_number" in values:
        values["certificate_number"] = f"R62{seq:07d}"
    return values
