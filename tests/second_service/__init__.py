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
from engine.forms import FormRegistry
from engine.handlers import HandlerRegistry, HandlerResult, Notice, ServiceCall
from engine.service import Departments, Retention, Service, Started, TaskView
from forms.errors import flatten_errors
from forms.fields import Choice, Division, FormSchema, PersonName, Section, Text
from forms.layout import lay_out
from forms.task_forms import ReviewSchema, TaskForm, decision_field

PROCESS = "residence_certificate"
DEPARTMENT = "community"


PURPOSES = {"school": "子女入学", "employment": "就业登记", "other": "其他"}


class ResidentSchema(FormSchema):
    name = PersonName("申请人姓名", required=True)
    address = Text("居住地址", required=True, max_length=200)


class ResidenceRequestSchema(FormSchema):
    applicant = Section(ResidentSchema, "申请人", required=True)
    division_code = Division("社区所在行政区划代码", required=True)
    purpose = Choice("证明用途", PURPOSES, load_default="other")


class CommunityReviewSchema(ReviewSchema):
    decision = decision_field("出具证明")


class RequestForm:
    schema = ResidenceRequestSchema
    subject = "none: any number of requests may run at once"
    objects = frozenset({"request"})

    def read(self, variables, now: datetime) -> Started:
        raw = variables.get("request") if isinstance(variables, dict) else None
        if not isinstance(raw, dict):
            raise InvalidInput("申请缺失", {"variables.request": ["必填项"]})
        try:
            request = ResidenceRequestSchema().dump(ResidenceRequestSchema().load(raw))
        except ValidationError as err:
            raise InvalidInput("申请填写有误", flatten_errors(err.messages)) from None
        name = request["applicant"]["name"]
        return Started(
            variables={"request": request},
            jurisdiction=request["division_code"],
            region=request["division_code"][:2],
            subject_key=None,
            search_keys=name_keys(request),
            applicant_name=name,
            subject_name=name,
        )


class CertificateViews:
    """The community clerk reads the request with the form's own labels; the engine's plain views otherwise."""

    personal_keys = frozenset({"address"})

    def instance(self, summary, tasks, now, mask) -> dict:
        return {}

    def progress(self, instance, tasks, now) -> None:
        return None

    def task(self, data, activity_id) -> TaskView:
        request = data.get("request") or {}
        return TaskView(data={"request": request}, sections=lay_out(ResidenceRequestSchema(), request, "居住证明申请"))

    def required_materials(self, data) -> tuple:
        return ()

    def ending_on_return(self, summary, activity_id) -> tuple[str, ...]:
        return ("居住证明开具",)


def name_keys(request) -> tuple[tuple[str, str], ...]:
    name = ((request or {}).get("applicant") or {}).get("name") or ""
    return (("name", "".join(name.split())),) if name else ()


class ApplicantSearch:
    """Found by the applicant's name too."""

    kinds = {"name": "申请人姓名"}

    def keys_after_step(self, summary) -> tuple:
        return ()

    def read_query(self, text: str) -> tuple[tuple[str, str], ...]:
        return (("name", "".join(text.split())),)

    def keys_of(self, variables, summary) -> tuple[tuple[str, str], ...]:
        return name_keys(variables.get("request"))


def issue_certificate(call: ServiceCall) -> HandlerResult:
    key = f"certificate:{call.idempotency_key}"
    record = call.ledger.recall(DEPARTMENT, key)
    if record is None:
        record = {"certificate_number": f"JZ{call.now:%Y%m%d}{call.ledger.next_number('community.certificate'):04d}"}
        call.ledger.remember(DEPARTMENT, key, record)
    return HandlerResult(
        item=None,
        result=record,
        notices=(Notice("applicant", f"居住证明已开具，编号{record['certificate_number']}。"),),
    )


def register(registry: HandlerRegistry) -> None:
    registry.register("community.issue_certificate", issue_certificate)


SECOND = Service(
    name="residence",
    title="居住证明开具",
    process_keys=frozenset({PROCESS}),
    workflows=Path(__file__).resolve().parent / "workflows",
    departments=Departments(groups={DEPARTMENT: "社区居委会"}),
    task_forms=FormRegistry(
        [TaskForm("community_review", "社区审核", DEPARTMENT, CommunityReviewSchema)], owner="residence"
    ),
    register_handlers=register,
    start_form=RequestForm(),
    views=CertificateViews(),
    business_key_prefix="JZ",
    retention=Retention(
        archive_after_days=7,
        erase_after_days=90,
        kept_data=frozenset({"results", "reviews"}),
        personal_fields=frozenset({"request.applicant.name"}),
        reasoning="a certificate is collected within days; a complaint within three months",
    ),
    search=ApplicantSearch(),
    labels=dict(PURPOSES),
    subject_title="申请人",
)
