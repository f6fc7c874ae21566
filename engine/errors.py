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


class Ineligible(EngineError):
    """The application may not use the joint service (RULES §3): every reason, as the eligibility decision
    gives them (``{"rule", "code", "message"}``, messages in Chinese for the applicant)."""

    def __init__(self, refusals: list[dict]):
        super().__init__("不符合“一件事”联办受理条件，不予受理")
        self.refusals = refusals


class PolicyError(EngineError):
    """A policy decision table gives no usable answer (e.g. hit policy UNIQUE with two matching rows): the
    deployed tables must be fixed; the message names the decision and the rules, never personal data."""


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
