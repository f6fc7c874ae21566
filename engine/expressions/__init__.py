"""Safe, restricted evaluators for the JUEL (Camunda 7 BPMN) and FEEL (DMN 1.3) expression dialects.

Usage::

    from engine.expressions import ExpressionError, juel, feel
    juel.compile("${a && b}").evaluate({"a": True, "b": False})
    feel.compile_unary_tests('"x","y"').matches("x", context={})
    feel.compile_expression("a.b + 1").evaluate({"a": {"b": 2}})

Nothing here uses Python ``eval``/``exec`` or attribute access on context objects.
"""

from . import feel, juel
from .errors import ExpressionError, ExpressionEvaluationError
from .feel_types import YearsMonths

__all__ = ["ExpressionError", "ExpressionEvaluationError", "YearsMonths", "juel", "feel"]
