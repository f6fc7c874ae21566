"""The materials an applicant may upload (RULES §4, Gansu 附件3 and the Guizhou guide): code → name.

A fixed list: an upload under any other code is refused. Which of them an application needs depends on
its region and chosen items (R4.1); this list only names what may be stored.
"""

from __future__ import annotations

MATERIALS: dict[str, str] = {
    "parent_id_cards": "新生儿父母身份证正反面照",
    "hukou_books": "新生儿父母双方居民户口簿（含户口簿首页）",
    "marriage_certificate": "结婚证",
    "ethnicity_confirmation": "民族成分确认书",
    "birth_certificate": "出生医学证明",
    "application_form": "申请表（申请人签字并按手印）",
    "guardian_id": "监护人身份证件",
    "insured_id": "医保电子凭证、有效身份证件或社会保障卡",
    "invoices": "医疗费用发票",
    "itemised_bill": "费用清单",
    "discharge_record": "出院记录",
    "bank_account": "银行账户信息",
}
