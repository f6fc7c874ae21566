"""Retention (issue 25): an admin puts one application under a legal hold -- the retention runs leave it as it is
(``engine.usecases.retention``) -- or releases it; and reads the policies in force."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.usecases import retention

from .auth import context, require

blp = Blueprint("retention", __name__, url_prefix="/api", description="Retention of finished applications")


class LegalHoldRequestSchema(Schema):
    hold = fields.Boolean(required=True, metadata={"description": "true: keep the application as it is"})
    reason = fields.String(load_default=None, metadata={"description": "why (required for a hold; recorded)"})


class LegalHoldSchema(Schema):
    id = fields.String()
    business_key = fields.String()
    state = fields.String()
    legal_hold = fields.Boolean()
    archived_at = fields.String(allow_none=True)
    erased_at = fields.String(allow_none=True)


class RetentionPolicySchema(Schema):
    service = fields.String()
    title = fields.String()
    archive_after_days = fields.Integer(
        allow_none=True,
        metadata={"description": "days after an application ended when its workflow state becomes a compact record"},
    )
    erase_after_days = fields.Integer(
        allow_none=True, metadata={"description": "days after an application ended when its personal values are erased"}
    )
    reasoning = fields.String()


@blp.route("/process-instances/<instance_id>/legal-hold", methods=["GET"])
@require("admin")
@blp.response(200, LegalHoldSchema)
@blp.doc(security=[{"bearer": []}])
def get_hold(instance_id):
    """Whether the application is under a legal hold, and when it was archived and erased."""
    return retention.get_hold(context(), g.principal, instance_id)


@blp.route("/process-instances/<instance_id>/legal-hold", methods=["PUT"])
@require("admin")
@blp.arguments(LegalHoldRequestSchema())
@blp.response(200, LegalHoldSchema)
@blp.doc(security=[{"bearer": []}])
def put_hold(body, instance_id):
    """Put the application under a legal hold (a reason is required) or release it; recorded in its history."""
    return retention.set_hold(context(), g.principal, body["hold"], body["reason"], instance_id=instance_id)


@blp.route("/retention/policies")
@require("admin", "supervisor")
@blp.response(200, RetentionPolicySchema(many=True))
@blp.doc(security=[{"bearer": []}])
def policies():
    """Each installed service's retention policy in force."""
    return retention.policy_view(context())
