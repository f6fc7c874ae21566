"""A second, tiny 一件事 added from outside the engine (issue 14): a community's residence certificate
(居住证明开具). Its process file, its one review form, its one handler and its start form are all in this
folder; the engine learns of it only through the :class:`engine.service.Service` below.

Three steps: the applicant files, the community reviews (approve or return with a reason), the
certificate is issued (a number from the community's ledger).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from marshmallow import ValidationError

from engine.errors import InvalidInput
from engine.handlers import HandlerRegistry, HandlerResult, Notice, ServiceCall
from engine.service import Service, Started
from forms.errors import flatten_errors
from forms.fields import Division, FormSchema, PersonName, Section, Text
from forms.task_forms import ReviewSchema, TaskForm, TaskForms, decision_field

PROCESS = "residence_certificate"
DEPARTMENT = "community"


class ResidentSchema(FormSchema):
    name = PersonName("申请人姓名", required=True)
    address = Text("居住地址", required=True, max_length=200)


class ResidenceRequestSchema(FormSchema):
    applicant = Section(ResidentSchema, "申请人", required=True)
    division_code = Division("社区所在行政区划代码", required=True)


class CommunityReviewSchema(ReviewSchema):
    decision = decision_field("出具证明")


def start(variables, now: datetime) -> Started:
    raw = variables.get("request") if isinstance(variables, dict) else None
    if not isinstance(raw, dict):
        raise InvalidInput("申请缺失", {"variables.request": ["必填项"]})
    try:
        request = ResidenceRequestSchema().dump(ResidenceRequestSchema().load(raw))
    except ValidationError as err:
        raise InvalidInput("申请填写有误", flatten_errors(err.messages)) from None
    return Started(variables={"request": request}, jurisdiction=request["division_code"],
                   region=request["division_code"][:2], unique_key=None)


def issue_certificate(call: ServiceCall) -> HandlerResult:
    key = f"certificate:{call.idempotency_key}"
    record = call.ledger.recall(DEPARTMENT, key)
    if record is None:
        record = {"certificate_number": f"JZ{call.now:%Y%m%d}{call.ledger.next_number('community.certificate'):04d}"}
        call.ledger.remember(DEPARTMENT, key, record)
    return HandlerResult(item=None, result=record,
                         notices=(Notice("applicant", f"居住证明已开具，编号{record['certificate_number']}。"),))


def register(registry: HandlerRegistry) -> None:
    registry.register("community.issue_certificate", issue_certificate)


SECOND = Service(
    name="residence",
    title="居住证明开具",
    process_keys=frozenset({PROCESS}),
    workflows=Path(__file__).resolve().parent / "workflows",
    groups={DEPARTMENT: "社区居委会"},
    task_forms=TaskForms([TaskForm("community_review", "社区审核", DEPARTMENT, CommunityReviewSchema)]),
    register_handlers=register,
    start=start,
    business_key_prefix="JZ",
    start_schema=ResidenceRequestSchema,
)
