"""The newborn service's review forms: the window intake, the birth certificate, the hukou registration."""

from __future__ import annotations

import re

from marshmallow import ValidationError

from engine.forms import FormRegistry
from forms.fields import Text
from forms.task_forms import ReviewSchema, TaskForm, decision_field

CERTIFICATE_NUMBER_RE = re.compile(r"[A-Z]\d{9}")


def _validate_certificate_number(value: str) -> None:
    if not CERTIFICATE_NUMBER_RE.fullmatch(value):
        raise ValidationError("出生医学证明编号应为1位大写字母加9位数字，如 R620012345")


class CertificateNumber(Text):
    """A Medical Birth Certificate number (出生医学证明编号), upper-cased."""

    def __init__(self, label: str, **kwargs):
        super().__init__(
            label,
            max_length=None,
            validate=_validate_certificate_number,
            metadata={
                "pattern": CERTIFICATE_NUMBER_RE.pattern,
                "pattern_message": "出生医学证明编号应为1位大写字母加9位数字，如 R620012345",
            },
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).upper()


class WindowIntakeReviewSchema(ReviewSchema):
    decision = decision_field("受理")


class BirthCertificateReviewSchema(ReviewSchema):
    required_on_approve = ("certificate_number",)

    decision = decision_field("签发")
    certificate_number = CertificateNumber("出生医学证明编号", allow_none=True)


class HukouReviewSchema(ReviewSchema):
    decision = decision_field("准予登记")
    police_station = Text("登记派出所（与申请不同时填写，R3.5/R3.6）", allow_none=True, max_length=100)


TASK_FORMS = FormRegistry(
    [
        TaskForm("window_intake_review", "窗口受理", "service_center", WindowIntakeReviewSchema),
        TaskForm("birth_certificate_review", "出生医学证明签发", "midwifery", BirthCertificateReviewSchema),
        TaskForm("hukou_review", "出生登记审核", "police", HukouReviewSchema),
    ],
    owner="newborn",
)
