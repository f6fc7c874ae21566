"""DMN 1.3 decision tables evaluated as Camunda 7 does, on our FEEL evaluator (never Python ``eval``).

Usage::

    from engine.dmn import parse_dmn, evaluate_decision
    parsed = parse_dmn(content_bytes, "rules.dmn")          # every cell compiled once; problems collected
    result = evaluate_decision(parsed.decisions, "days", {"region": "gansu"}, now=clock.now())
    result.mapped("singleEntry")

``engine.business_rules`` plugs decisions into SpiffWorkflow's ``bpmn:businessRuleTask``.
"""

from .evaluate import DecisionError, DecisionResult, evaluate_decision
from .model import Decision, DecisionSet, DecisionTable
from .parser import parse_dmn

__all__ = [
    "Decision",
    "DecisionError",
    "DecisionResult",
    "DecisionSet",
    "DecisionTable",
    "evaluate_decision",
    "parse_dmn",
]
