"""The seven joint items (联办事项) of the newborn service and the departments that own them (RULES §1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    department: str


ITEMS: tuple[Item, ...] = (
    Item("birth_certificate", "出生医学证明办理", "midwifery"),
    Item("vaccination_certificate", "预防接种证办理", "cdc"),
    Item("hukou_registration", "出生登记（户口登记）", "police"),
    Item("social_security_card", "社会保障卡申领", "hrss"),
    Item("medical_insurance", "城乡居民医保参保登记", "medical_insurance"),
    Item("maternity_reimbursement", "生育医疗费用报销", "medical_insurance"),
    Item("parenting_guidance", "科学育儿指导服务登记", "health"),
)

ITEM_CODES: tuple[str, ...] = tuple(item.code for item in ITEMS)
ITEMS_BY_CODE: dict[str, Item] = {item.code: item for item in ITEMS}

DEPARTMENTS: dict[str, str] = {
    "midwifery": "助产机构",
    "cdc": "疾控部门",
    "service_center": "政务服务中心",
    "police": "公安部门",
    "hrss": "人社部门",
    "medical_insurance": "医保部门",
    "health": "卫生健康部门",
}


def chosen_map(items: list[str] | tuple[str, ...]) -> dict[str, bool]:
    """Every item code mapped to whether the applicant chose it (the `chosen` process variable, R1.1)."""
    picked = set(items)
    return {code: code in picked for code in ITEM_CODES}
