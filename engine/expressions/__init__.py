"""Safe, restricted evaluators for the JUEL (Camunda 7 BPMN) and FEEL (DMN 1.3) expression dialects.

Usage::

    from engine.expressions import ExpressionError, juel, feel
    juel.compile("${a && b}").evaluate({"a": True, "b": False})
    feel.compile_unary_tests('"x","y"').matches("x", context={})
    feel.compile_expression("a.b + 1").evaluate({"a": {"b": 2}})

Nothing here uses Python ``eval``/``exec`` or attribute access on context objects.
"""

from .errors import ExpressionError, ExpressionEvaluationError
from . import juel

__all__ = ["ExpressionError", "ExpressionEvaluationError", "juel", "feel"]


def __getattr__(name):  # lazy import keeps JUEL usable while FEEL loads its grammar on demand
    if name == "feel":
        from . import feel

        return feel
    raise AttributeError(name)
