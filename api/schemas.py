"""Response and request schemas of the API (they generate /api/openapi.json with the forms' schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.usecases.instances import MAX_BUSINESS_KEY

# Numbers from a query string are bounded before they reach the database (SQLite and PostgreSQL integers
# overflow: a 500 the fuzzer found with ?page=10**33).
MAX_PAGE = 1_000_000
MAX_INT32 = 2**31 - 1


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The schema of a page of ``item_schema`` items, as every list answers (CONTRACT: lists are paged)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
        name=name,
    )


def paged(rows: list, args: dict) -> dict:
    """One page of a list already in memory, in the paged answer's shape."""
    start = (args["page"] - 1) * args["per_page"]
    return {
        "items": rows[start : start + args["per_page"]],
        "total": len(rows),
        "page": args["page"],
        "per_page": args["per_page"],
    }


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ProblemSchema(Schema):
    """An error, RFC 9457 (``application/problem+json``): every 4xx/5xx answer has this shape."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "invalid input: messages by field path"},
    )
    problems = fields.List(fields.Dict(), metadata={"description": "an invalid deployment: file, line, message"})
    refusals = fields.List(fields.Dict(), metadata={"description": "an ineligible application: rule, code, message"})


class DefinitionRefSchema(Schema):
    key = fields.String()
    version = fields.Integer()


class StartRequestSchema(Schema):
    business_key = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=MAX_BUSINESS_KEY)
    )
    variables = fields.Dict(
        required=True,
        metadata={
            "description": (
                "the start variables the process's service reads: its start form, one of the schemas of this document"
            )
        },
    )


class RefusalSchema(Schema):
    rule = fields.String(metadata={"description": "the rule of RULES.md, e.g. R3.12"})
    code = fields.String(metadata={"description": "stable English code of the reason"})
    message = fields.String(metadata={"description": "what to tell the applicant, in Chinese"})


class CheckMaterialSchema(Schema):
    code = fields.String()
    name = fields.String()
    copies = fields.Integer()
    items = fields.List(fields.String(), metadata={"description": "the items asked for that need it"})


class CheckItemSchema(Schema):
    code = fields.String()
    department = fields.String()
    due_working_days = fields.Integer(
        allow_none=True, metadata={"description": "the step's time limit (0: on the spot)"}
    )


class CheckSchema(Schema):
    eligible = fields.Boolean()
    refusals = fields.List(fields.Nested(RefusalSchema))
    materials = fields.List(fields.Nested(CheckMaterialSchema))
    items = fields.List(fields.Nested(CheckItemSchema))
    promised_working_days = fields.Integer(allow_none=True)
    promised_by = fields.String(
        allow_none=True, metadata={"description": "the promised date if submitted now, on the working-day calendar"}
    )
    promised_by_provisional = fields.Boolean(
        metadata={"description": "the promised date went through a year whose holiday notice is not loaded yet (R5.1)"}
    )


class InstanceRefSchema(Schema):
    id = fields.String()
    business_key = fields.String()
    definition = fields.Nested(DefinitionRefSchema)
    state = fields.String()


class ItemSchema(Schema):
    code = fields.String()
    name = fields.String()
    department = fields.String()
    status = fields.String()
    status_text = fields.String(metadata={"description": "the status as a person reads it"})
    result = fields.Dict(allow_none=True)
    due_at = fields.String(allow_none=True)
    provisional = fields.Boolean(
        metadata={
            "description": (
                "a year whose holiday notice is not loaded yet decided this date (R5.1): it is recomputed "
                "when the notice is loaded"
            )
        }
    )
    overdue = fields.Boolean()


class OpenStepSchema(Schema):
    task_id = fields.String()
    activity_id = fields.String()
    name = fields.String(allow_none=True)
    group = fields.String()
    assignee = fields.String(allow_none=True)
    created_at = fields.String()
    due_at = fields.String(allow_none=True)
    provisional = fields.Boolean(
        metadata={
            "description": (
                "a year whose holiday notice is not loaded yet decided this date (R5.1): it is recomputed "
                "when the notice is loaded"
            )
        }
    )
    overdue = fields.Boolean()


class ServiceStepSchema(Schema):
    id = fields.String()
    activity_id = fields.String()
    activity_name = fields.String(allow_none=True)
    topic = fields.String()
    external = fields.Boolean(metadata={"description": "run by a department's external worker"})
    state = fields.String(metadata={"description": "ready, or incident"})
    attempts = fields.Integer()
    worker = fields.String(allow_none=True, metadata={"description": "the worker holding it now"})
    locked_at = fields.String(allow_none=True, metadata={"description": "since when"})
    locked_until = fields.String(allow_none=True)


class NoticeSchema(Schema):
    audience = fields.String()
    text = fields.String()
    due = fields.String(allow_none=True)
    place = fields.String(allow_none=True)
    provisional = fields.Boolean(
        metadata={
            "description": (
                "a year whose holiday notice is not loaded yet decided this date (R5.1): it is recomputed "
                "when the notice is loaded"
            )
        }
    )


class InstanceSchema(InstanceRefSchema):
    region = fields.String()
    created_at = fields.String()
    ended_at = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ItemSchema))
    open_steps = fields.List(fields.Nested(OpenStepSchema))
    returned = fields.Dict(allow_none=True)
    refusals = fields.List(
        fields.Nested(RefusalSchema), allow_none=True, metadata={"description": "state refused: why (RULES §3)"}
    )
    promised_by = fields.String(allow_none=True, metadata={"description": "the promised date of the whole application"})
    promised_by_provisional = fields.Boolean(
        metadata={
            "description": (
                "a year whose holiday notice is not loaded yet decided this date (R5.1): it is recomputed "
                "when the notice is loaded"
            )
        }
    )
    notices = fields.List(fields.Nested(NoticeSchema))
    incidents = fields.List(fields.Nested(lambda: IncidentSchema()))
    waiting_for = fields.List(fields.Dict(), metadata={"description": "messages the application waits for"})
    jobs = fields.List(
        fields.Nested(ServiceStepSchema),
        metadata={"description": "staff only: the service tasks it waits on, and who holds each"},
    )


class ProgressItemSchema(Schema):
    code = fields.String()
    name = fields.String()
    department = fields.String()
    status = fields.String()
    status_text = fields.String()
    due_at = fields.String(allow_none=True)
    provisional = fields.Boolean(
        metadata={
            "description": (
                "a year whose holiday notice is not loaded yet decided this date (R5.1): it is recomputed "
                "when the notice is loaded"
            )
        }
    )
    overdue = fields.Boolean()
    result = fields.Dict(allow_none=True)
    next_step = fields.String(metadata={"description": "what to know or do next, in Chinese"})


class ProgressSchema(Schema):
    business_key = fields.String()
    state = fields.String()
    state_text = fields.String()
    message = fields.String()
    submitted_at = fields.String()
    completed_at = fields.String(allow_none=True)
    return_reason = fields.String(allow_none=True)
    refusals = fields.List(fields.Nested(RefusalSchema), allow_none=True)
    promised_by = fields.String(allow_none=True)
    promised_by_provisional = fields.Boolean(
        metadata={
            "description": (
                "a year whose holiday notice is not loaded yet decided this date (R5.1): it is recomputed "
                "when the notice is loaded"
            )
        }
    )
    items = fields.List(fields.Nested(ProgressItemSchema))
    next_steps = fields.List(fields.Nested(NoticeSchema))


class HistoryEventSchema(Schema):
    at = fields.String()
    actor = fields.String()
    kind = fields.String()
    activity_id = fields.String(allow_none=True)
    activity_name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    detail = fields.Dict()


HistorySchema = page_of(HistoryEventSchema, "History")


class StepRefusalSchema(Schema):
    code = fields.String(metadata={"description": "the business error's code (the process's errorCode)"})
    message = fields.String(metadata={"description": "why the department refused, in Chinese"})
    activity_id = fields.String(metadata={"description": "the step the department refused"})
    activity_name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    at = fields.String()


class TaskSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    activity_id = fields.String()
    group = fields.String()
    assignee = fields.String(allow_none=True)
    created_at = fields.String()
    due_at = fields.String(allow_none=True)
    provisional = fields.Boolean(
        metadata={
            "description": (
                "a year whose holiday notice is not loaded yet decided this date (R5.1): it is recomputed "
                "when the notice is loaded"
            )
        }
    )
    overdue = fields.Boolean()
    due_today = fields.Boolean(metadata={"description": "open and due by the end of today (China), not yet late"})
    process_instance_id = fields.String()
    business_key = fields.String()
    form_key = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)
    process_instance_state = fields.String()
    refusal = fields.Nested(
        StepRefusalSchema,
        allow_none=True,
        metadata={
            "description": "a department refused the step after this review (a business error the process caught "
            "and sent back here): what to correct"
        },
    )
    outcome = fields.String(allow_none=True, metadata={"description": "a completed task's decision"})
    reason = fields.String(allow_none=True, metadata={"description": "the reason it was completed with"})
    follow_up_on = fields.String(allow_none=True, metadata={"description": "the clerk's follow-up date (ISO)"})
    applicant_name = fields.String(allow_none=True, metadata={"description": "who filed the application"})
    subject_name = fields.String(
        allow_none=True, metadata={"description": "who the application is about (the service's subject)"}
    )
    filed_at = fields.String(metadata={"description": "when the application was filed"})
    jurisdiction = fields.String(metadata={"description": "the application's division code (GB/T 2260)"})
    instance_state = fields.String()


class QueueCountsSchema(Schema):
    all = fields.Integer(metadata={"description": "open tasks of the caller's groups and jurisdictions"})
    mine = fields.Integer(metadata={"description": "of them, held by the caller"})
    unclaimed = fields.Integer()
    overdue = fields.Integer(metadata={"description": "of them, past their due moment now"})


class TaskPageSchema(page_of(TaskSchema, "TaskPageBase")):  # type: ignore[misc]
    counts = fields.Nested(QueueCountsSchema)


class LateTaskSchema(Schema):
    task_id = fields.String()
    instance_id = fields.String()
    business_key = fields.String()
    name = fields.String(allow_none=True)
    group = fields.String()
    department = fields.String(metadata={"description": "the group's name"})
    jurisdiction = fields.String()
    due_at = fields.String()
    provisional = fields.Boolean()
    assignee = fields.String(allow_none=True)


QUEUE_ORDERS = ["due", "filed", "applicant", "subject", "district", "follow_up"]


class TaskQueryArgs(PageArgs):
    group = fields.String(load_default=None)
    assignee = fields.String(load_default=None, validate=validate.OneOf(["me", "none"]))
    overdue = fields.Boolean(load_default=False)
    item = fields.String(
        load_default=None, validate=validate.Length(max=40), metadata={"description": "only tasks of this item"}
    )
    order = fields.String(
        load_default="due",
        validate=validate.OneOf(QUEUE_ORDERS),
        metadata={"description": "sorted by due date, filing date, applicant, subject, district or follow-up date"},
    )
    descending = fields.Boolean(load_default=False)
    follow_up = fields.Boolean(
        load_default=False, metadata={"description": "only tasks whose follow-up date is today or earlier"}
    )


class FormOptionSchema(Schema):
    id = fields.String()
    name = fields.String()


class FormFieldSchema(Schema):
    id = fields.String()
    label = fields.String()
    type = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.Nested(FormOptionSchema))
    constraints = fields.Dict(
        metadata={
            "description": "what the server checks: required, pattern (with "
            "pattern_message), max_length, one_of, required_if / true_if "
            "({field, equals}) with the Chinese message"
        }
    )


class FormSchema(Schema):
    key = fields.String()
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields", attribute="fields")


class RowSchema(Schema):
    label = fields.String()
    value = fields.String()


class SectionSchema(Schema):
    title = fields.String()
    rows = fields.List(fields.Nested(RowSchema))


class RequiredMaterialSchema(Schema):
    code = fields.String()
    name = fields.String()
    items = fields.List(fields.String(), metadata={"description": "the items of the application that need it, by name"})


class TaskDetailSchema(TaskSchema):
    required_materials = fields.List(
        fields.Nested(RequiredMaterialSchema),
        metadata={"description": "the materials the application's items need (compare with its uploaded materials)"},
    )
    ending_on_return = fields.List(
        fields.String(),
        metadata={"description": "what ends if this task returns the application (e.g. the items not done yet)"},
    )
    subject_title = fields.String(metadata={"description": "what subject_name is, in Chinese"})
    form = fields.Nested(FormSchema)
    data = fields.Dict(metadata={"description": "what the clerk sees of the instance, as the service has it"})
    sections = fields.List(
        fields.Nested(SectionSchema),
        metadata={"description": "the same laid out for a person: sections of rows, labels and values in Chinese"},
    )
    items = fields.List(fields.Nested(ItemSchema))


class CompleteRequestSchema(Schema):
    variables = fields.Dict(load_default=dict)


class DefinitionSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    deployed_at = fields.String()
    deployed_by = fields.String()
    forced_over = fields.List(
        fields.Dict(),
        metadata={"description": "deployed with force: what the dry run on the sample applications found"},
    )


class DeployArgs(Schema):
    force = fields.Boolean(
        load_default=False,
        metadata={
            "description": "deploy even when the dry run on workflows/samples finds a sample the current version "
            "accepts and this one refuses or cannot decide (recorded with the deployment)"
        },
    )


class DeploymentResultSchema(Schema):
    definitions = fields.List(fields.Nested(DefinitionSchema))


class XmlArgs(Schema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_INT32))


class CancelRequestSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class MessageRequestSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    business_key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    variables = fields.Dict(load_default=dict)


class MessageResultSchema(Schema):
    process_instance_id = fields.String()
    business_key = fields.String()
    activity_id = fields.String()
    state = fields.String()


class IncidentSchema(Schema):
    id = fields.String()
    process_instance_id = fields.String()
    business_key = fields.String(metadata={"description": "the application's number"})
    activity_id = fields.String()
    activity_name = fields.String(allow_none=True, metadata={"description": "the step"})
    topic = fields.String(allow_none=True)
    kind = fields.String(
        validate=validate.OneOf(["failure", "business_error"]),
        metadata={
            "description": "failure: a technical failure after every attempt; business_error: a department refused "
            "the step and nothing in the process catches its code"
        },
    )
    error_code = fields.String(allow_none=True, metadata={"description": "the business error's code"})
    message = fields.String(allow_none=True, metadata={"description": "what went wrong, in Chinese"})
    attempts = fields.Integer(metadata={"description": "how many times the step was tried"})
    error = fields.String(allow_none=True, metadata={"description": "technical: the last failure's class and text"})
    created_at = fields.String()
    updated_at = fields.String()


class IncidentRetrySchema(IncidentSchema):
    outcome = fields.String(
        validate=validate.OneOf(["resolved", "failed", "queued"]),
        metadata={
            "description": "resolved: the step ran and the application goes on; failed: it failed again and is an "
            "incident again (message says why); queued: the application changed meanwhile, a worker "
            "runs it shortly"
        },
    )
    outcome_message = fields.String(metadata={"description": "the outcome in Chinese"})


IncidentPageSchema = page_of(IncidentSchema, "IncidentPage")


class SearchArgs(Schema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "an application number, an ID number, a name or a phone number"},
    )


class FoundSchema(Schema):
    id = fields.String()
    business_key = fields.String()
    state = fields.String()
    service = fields.String(metadata={"description": "the service's title"})
    subject_title = fields.String()
    applicant_name = fields.String(allow_none=True)
    subject_name = fields.String(allow_none=True)
    filed_at = fields.String()
    jurisdiction = fields.String()
    matched = fields.List(
        fields.String(),
        metadata={
            "description": "the kinds of key it was found by: business_key or a service's kind (id_number, phone, name)"
        },
    )
    task_id = fields.String(
        allow_none=True,
        metadata={"description": "the caller's groups' latest task of it (open first), for a clerk to open"},
    )
    task_name = fields.String(allow_none=True)
    task_open = fields.Boolean()


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(FoundSchema))
    total = fields.Integer()
    limit = fields.Integer(metadata={"description": "at most this many are answered, newest first"})


class CommentRequestSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class CommentSchema(Schema):
    instance_id = fields.String()
    business_key = fields.String()
    actor = fields.String()
    text = fields.String()
    at = fields.String()


class FollowUpRequestSchema(Schema):
    follow_up_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "the date to look at the task again (today or later); null removes it"},
    )


class AssignRequestSchema(Schema):
    assignee = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "a colleague of the task's group whose jurisdictions cover it (GET …/colleagues)"},
    )


class ColleaguesSchema(Schema):
    items = fields.List(fields.String(), metadata={"description": "names the task may be given to"})
