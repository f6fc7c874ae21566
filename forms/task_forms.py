"""User-task forms, keyed by form key (the BPMN's ``camunda:formKey``), as every service builds them.

A review approves or returns with a stated reason (R2.6) and, to approve, the clerk confirms that the
materials are genuine and agree with the form (R4.2): :class:`ReviewSchema`. ``TaskForm.describe()``
renders a form as Camunda 7 form fields, generated from the schema's field metadata; ``TaskForm.validate``
refuses a submission with :class:`engine.forms.FormInvalid`. ``TaskForm`` is the engine's
:class:`engine.forms.TaskForm` built with marshmallow; a service gives the engine its forms
(:attr:`engine.service.Service.task_forms`), which keeps every installed service's in one registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.forms import FormInvalid
from forms.errors import flatten_errors
from forms.fields import Choice, Flag, FormSchema, Text, absent, add_error


def decision_field(approve_name: str = "通过") -> Choice:
    """The decision of a review: ``approve`` (named for the task) or ``return`` 退件."""
    return Choice("审核结果", {"approve": approve_name, "return": "退件"}, required=True)


class ReviewSchema(FormSchema):
    """The part every review shares. Subclasses add fields; ``required_on_approve`` names those an
    approval needs."""

    required_on_approve: tuple[str, ...] = ()

    decision = decision_field()
    reason = Text("退件原因", allow_none=True, max_length=500)
    materials_checked = Flag("已核验材料真实有效且与申请表一致", allow_none=True)

    def conditional_constraints(self) -> dict:
        """What the checks below make depend on the decision, for a form's description."""
        found = {
            "reason": {"required_if": {"field": "decision", "equals": "return"}, "message": "退件须说明原因"},
            "materials_checked": {
                "true_if": {"field": "decision", "equals": "approve"},
                "message": "通过前须核验材料真实有效且与申请表一致",
            },
        }
        for key in self.required_on_approve:
            found[key] = {"required_if": {"field": "decision", "equals": "approve"}, "message": "通过时必填"}
        return found

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_decision(self, data, original, **kwargs):
        errors: dict = {}
        if data.get("decision") == "return" and absent(data, original, "reason"):
            add_error(errors, "reason", "退件须说明原因")
        if data.get("decision") == "approve":
            checked = "materials_checked"
            if (checked in data or absent(data, original, checked)) and data.get(checked) is not True:
                add_error(errors, checked, "通过前须核验材料真实有效且与申请表一致")
            for key in self.required_on_approve:
                if absent(data, original, key):
                    add_error(errors, key, "通过时必填")
        if errors:
            raise ValidationError(errors)


# --- forms and their registry ---------------------------------------------------------------------------

FIELD_TYPES = ("string", "long", "boolean", "date", "enum")


@dataclass(frozen=True)
class TaskForm:
    key: str
    title: str
    group: str  # the department whose clerks work the task
    schema: type[Schema]

    def validate(self, submitted: Mapping) -> dict:
        """The submission normalized (JSON-compatible), or FormInvalid with every field's problem."""
        schema = self.schema()
        try:
            return schema.dump(schema.load(submitted))
        except ValidationError as err:
            raise FormInvalid(flatten_errors(err.messages)) from None

    def describe(self) -> dict:
        """The form as Camunda 7 form fields: ``{"key", "fields": [{"id", "label", "type", "required",
        "options", "constraints"}]}`` (``options`` only for an enum). ``constraints`` is what the server checks,
        so every client builds the same form: ``required``, ``pattern`` (with its Chinese ``message``),
        ``max_length``, ``required_if`` / ``true_if`` (``{"field": "decision", "equals": "approve"}``)."""
        schema = self.schema()
        conditional = getattr(schema, "conditional_constraints", lambda: {})()
        return {
            "key": self.key,
            "fields": [
                {**described, "constraints": {**described["constraints"], **conditional.get(described["id"], {})}}
                for described in (_describe_field(name, field) for name, field in schema.fields.items())
            ],
        }


def _describe_field(name: str, field: fields.Field) -> dict:
    meta: Mapping = field.metadata
    kind = meta.get("form_type") or _type_of(field)
    if kind == "datetime":
        kind = "date"  # Camunda's "date" type carries a time as well
    if kind not in FIELD_TYPES:
        raise TypeError(f"field {name!r} of type {kind!r} cannot be a task form field")
    described = {
        "id": field.data_key or name,
        "label": meta.get("label", name),
        "type": kind,
        "required": field.required,
    }
    if kind == "enum":
        described["options"] = list(meta["options"])
    constraints: dict = {"required": field.required}
    for check in field.validators if isinstance(field.validators, list) else [field.validators]:
        if isinstance(check, validate.Length) and check.max is not None:
            constraints["max_length"] = check.max
    if meta.get("pattern"):
        constraints.update(pattern=meta["pattern"], pattern_message=meta.get("pattern_message"))
    if kind == "enum":
        constraints["one_of"] = [option["id"] for option in meta["options"]]
    described["constraints"] = constraints
    return described


def _type_of(field: fields.Field) -> str:
    """The form type of a plain marshmallow field without ``form_type`` metadata."""
    if isinstance(field, fields.Boolean):
        return "boolean"
    if isinstance(field, fields.Integer):
        return "long"
    if isinstance(field, (fields.Date, fields.DateTime)):
        return "date"
    if isinstance(field, fields.String):
        return "string"
    return type(field).__name__
