"""What a service task's handler receives and returns, the ledger port it keeps its records in, and the
registry of topics (``<department>.<action>``) → handlers a service fills (:mod:`engine.service`).

A handler is a plain function ``handler(call: ServiceCall) -> HandlerResult``. It knows no Flask and no
SQL: everything it needs arrives in the call, including ``call.ledger``, the department system's memory
(idempotency records and number series). The in-process department systems keep their state there; an
adapter that calls a department's real system over HTTP would pass ``call.idempotency_key`` on instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping, Protocol

from .calendar.chinese import PROVISIONAL_MARK  # noqa: F401 (handlers write it after a provisional date)


class Ledger(Protocol):
    """A department system's durable memory, provided by the engine (one transaction with the step)."""

    def recall(self, department: str, key: str) -> dict | None:
        """The result stored under ``key`` by an earlier call, or None."""

    def remember(self, department: str, key: str, value: dict) -> None:
        """Store ``value`` under ``key``; storing a second value under the same key is an error."""

    def next_number(self, series: str) -> int:
        """The next number (1, 2, 3, ...) of a named series, never handed out twice."""


class WorkingDays(Protocol):
    """The working-day calendar a handler counts deadlines on (R5.1), provided by the engine."""

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``."""

    def provisional_years(self, start: date, end: date) -> list[int]:
        """The years a count from ``start`` to ``end`` went through with no holiday notice loaded."""


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
    calendar: WorkingDays | None = None


@dataclass(frozen=True)
class Notice:
    """A message for the applicant (audience ``applicant``) or a department (its code)."""

    audience: str
    text: str
    due: str | None = None  # ISO date, when the notice sets a deadline
    place: str | None = None
    # a deadline counted in working days: from which day, how many, and whether a year without a loaded
    # holiday notice decided it (the engine counts it again when that notice is loaded, R5.1)
    counted_from: str | None = None
    working_days: int | None = None
    provisional: bool = False

    def to_dict(self) -> dict:
        found: dict[str, Any] = {"audience": self.audience, "text": self.text, "due": self.due, "place": self.place}
        if self.working_days is not None:
            found.update(counted_from=self.counted_from, working_days=self.working_days, provisional=self.provisional)
        return found


@dataclass(frozen=True)
class HandlerResult:
    """What a handler gives back: the result of one joint item (or none) and notices."""

    item: str | None = None
    result: dict = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()


Handler = Callable[[ServiceCall], HandlerResult]


class HandlerError(Exception):
    """A technical failure of a department's system (unreachable, an answer it cannot give): the worker retries
    it with a backoff, and after the last attempt it is an incident an admin retries. The message is shown on
    the admins' incident page: in Chinese, with no personal data."""


class BusinessError(Exception):
    """A department refuses the step for a reason the people of the process can put right (Camunda's
    ``handleBpmnError``): the engine throws it as a BPMN error on the service task, where an error boundary
    event with this ``code`` (a ``bpmn:error``'s ``errorCode``) catches it and leads the application back to
    whoever can correct it. It is never retried: the same input would be refused again. Nothing in the diagram
    catching it makes it an incident at once.

    ``code``: a stable name (``certificate_number_taken``) the diagram refers to; ``message``: what the clerk
    reads at the top of the task that comes back, in Chinese, with no personal data.
    """

    def __init__(self, code: str, message: str) -> None:
        if not (isinstance(code, str) and 0 < len(code) <= 100 and code.strip() == code):
            raise ValueError("a business error's code is a name of 1 to 100 characters")
        super().__init__(message)
        self.code = code
        self.message = message


class DuplicateTopic(ValueError):
    pass


class UnknownTopic(LookupError):
    pass


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, topic: str, handler: Handler) -> Handler:
        if topic in self._handlers:
            raise DuplicateTopic(f"topic {topic!r} is already registered")
        if topic.count(".") != 1:
            raise ValueError(f"topic {topic!r} must be <department>.<action>")
        self._handlers[topic] = handler
        return handler

    def topic(self, topic: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            return self.register(topic, handler)

        return decorate

    def get(self, topic: str) -> Handler:
        try:
            return self._handlers[topic]
        except KeyError:
            raise UnknownTopic(f"no handler for topic {topic!r}") from None

    def __contains__(self, topic: str) -> bool:
        return topic in self._handlers

    def topics(self) -> frozenset[str]:
        return frozenset(self._handlers)
