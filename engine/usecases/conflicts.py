"""Running a change again when another transaction changed the same application first.

A clerk's decision or an applicant's withdrawal still stands when the worker (or a calendar recount) saved
the application a moment before: the change is worked out again on the new state rather than refused. Only
when the application keeps changing does the caller hear "try again" (409)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..errors import Conflict
from ..persistence.unit_of_work import ConcurrentUpdate

T = TypeVar("T")

ATTEMPTS = 5


def run_again_on_conflict(change: Callable[[], T], gave_up: str, attempts: int = ATTEMPTS) -> T:
    """``change()`` -- one whole transaction, read to commit -- run again on :class:`ConcurrentUpdate`, up to
    ``attempts`` times; then :class:`Conflict` with ``gave_up``."""
    for _ in range(attempts):
        try:
            return change()
        except ConcurrentUpdate:
            continue
    raise Conflict(gave_up)
