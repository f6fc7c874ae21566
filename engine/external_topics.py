"""Which service-task topics external workers run: Camunda 7's external-task pattern, where a department's own
system pulls its topic's work over ``/engine-rest/external-task`` instead of the bundled in-process handler.

Embedded by default: every topic runs in process. An operator hands a topic (``police.register_birth``), a
department's topics (``police.*``) or every topic (``*``) to external workers with ``ONETHING_EXTERNAL_TOPICS``
(comma-separated). The in-process worker then leaves those jobs alone, and only external workers may fetch
them. Every process of one database (API and worker) must be given the same list.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .errors import EngineError

VARIABLE = "ONETHING_EXTERNAL_TOPICS"
_NAME = r"[A-Za-z_][A-Za-z0-9_-]{0,48}"
_PATTERN = re.compile(rf"^(\*|{_NAME}\.\*|{_NAME}\.{_NAME})$")


@dataclass(frozen=True)
class ExternalTopics:
    """The topics handed to external workers: exact topics and departments (the part before the dot)."""

    topics: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    everything: bool = False

    @classmethod
    def parse(cls, text: str | None) -> "ExternalTopics":
        """``police.*, medical_insurance.enrol`` → the set; an empty text → none (every topic in process)."""
        topics, departments, everything = set(), set(), False
        for part in (text or "").split(","):
            pattern = part.strip()
            if not pattern:
                continue
            if not _PATTERN.match(pattern):
                raise EngineError(
                    f"{VARIABLE}: {pattern!r} is neither a topic (department.action), a "
                    f"department's topics (department.*) nor * (every topic)"
                )
            if pattern == "*":
                everything = True
            elif pattern.endswith(".*"):
                departments.add(pattern[:-2])
            else:
                topics.add(pattern)
        return cls(frozenset(topics), frozenset(departments), everything)

    @classmethod
    def from_environment(cls) -> "ExternalTopics":
        return cls.parse(os.environ.get(VARIABLE))

    def __bool__(self) -> bool:
        return self.everything or bool(self.topics or self.departments)

    def matches(self, topic: str | None) -> bool:
        """Whether external workers run ``topic`` (a timer has none: always in process)."""
        if not topic:
            return False
        return self.everything or topic in self.topics or topic.split(".", 1)[0] in self.departments

    def describe(self) -> list[str]:
        """The patterns as configured, sorted (``*`` alone when it hands over everything)."""
        if self.everything:
            return ["*"]
        return sorted(self.topics) + sorted(f"{department}.*" for department in self.departments)
