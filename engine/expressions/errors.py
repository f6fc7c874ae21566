"""The single exception type raised by the expression package (parse and evaluation)."""

from __future__ import annotations


class ExpressionError(Exception):
    """A JUEL/FEEL expression could not be compiled or evaluated.

    ``message`` says what went wrong, ``expression`` is the offending source
    text and ``position`` (0-based character offset) points into it when known.
    """

    def __init__(self, message: str, expression: str | None = None, position: int | None = None):
        self.message = message
        self.expression = expression
        self.position = position
        super().__init__(message)

    def __str__(self) -> str:
        text = self.message
        if self.expression is not None:
            text += f" (in expression {self.expression!r}"
            if self.position is not None:
                text += f" at position {self.position}"
            text += ")"
        return text


class ExpressionEvaluationError(ExpressionError):
    """Raised while evaluating an already compiled expression."""
