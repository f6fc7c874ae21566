"""How many rows an UPDATE or DELETE changed, typed: ``Session.execute`` is typed to answer a plain ``Result``,
but for these statements SQLAlchemy answers a ``CursorResult``, which has the count."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """The number of rows the UPDATE or DELETE that answered ``result`` matched."""
    return cast(CursorResult[Any], result).rowcount
