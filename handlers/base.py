"""What a service-task handler receives and returns, and the ledger port it keeps its records in.

A handler is a plain function ``handler(call: ServiceCall) -> HandlerResult``. It knows no Flask and no
SQL: everything it needs arrives in the call, including ``call.ledger``, the department system's memory
(idempotency records and number series). The in-process department systems keep their state there; an
adapter that calls a department's real system over HTTP would pass ``call.idempotency_key`` on instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Protocol


class Ledger(Protocol):
    """A department system's durable memory, provided by the engine (one transaction with the step)."""

    def recall(self, department: str, key: str) -> dict | None:
        """The result stored under ``key`` by an earlier call, or None."""

    def remember(self, department: str, key: str, value: dict) -> None:
        """Store ``value`` under ``key``; storing a second value under the same key is an error."""

    def next_number(self, series: str) -> int:
        """The next number (1, 2, 3, ...) of a named series, never handed out twice."""


@dataclass(frozen=True)
class ServiceCall:
    """One execution of a service task."""

    topic: str
    idempotency_key: str
    business_key: str
    variables: Mapping[str, Any]
    now: datetime
    ledger: Ledger
    properties: Mapping[str, str] = field(default_factory=dict)  # the task's camunda:properties


@dataclass(frozen=True)
class Notice:
    """A message for the applicant (audience ``applicant``) or a department (its code)."""

    audience: str
    text: str
    due: str | None = None  # ISO date, when the notice sets a deadline
    place: str | None = None

    def to_dict(self) -> dict:
        return {"audience": self.audience, "text": self.text, "due": self.due, "place": self.place}


@dataclass(frozen=True)
class HandlerResult:
    """What a handler gives back: the result of one joint item (or none) and notices."""

    item: str | None = None
    result: dict = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()


Handler = Callable[[ServiceCall], HandlerResult]


class HandlerError(Exception):
    """A department refused or failed; the message is safe to show to staff (no personal data)."""
