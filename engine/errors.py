"""Errors the use cases raise; the API maps each to an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base class; ``str(err)`` is safe to show (it never contains personal data)."""


class NotFound(EngineError):
    pass


class Forbidden(EngineError):
    pass


class Conflict(EngineError):
    pass


class InvalidInput(EngineError):
    """Field errors keyed by dotted path (``mother.id_number``)."""

    def __init__(self, message: str, errors: dict[str, list[str]]):
        super().__init__(message)
        self.errors = errors


class DepartmentFailed(EngineError):
    """A department handler failed; nothing of the step was stored."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a deployment: which file, where, what."""

    file: str
    message: str
    line: int | None = None
    element: str | None = None
    expression: str | None = None

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "element": self.element,
            "expression": self.expression,
            "message": self.message,
        }


class InvalidDeployment(EngineError):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the deployment")
        self.problems = problems
