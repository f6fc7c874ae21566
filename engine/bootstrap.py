"""Wiring: build an ``EngineContext`` for a database URL (schema created, handlers registered)."""

from __future__ import annotations

from handlers import default_registry
from handlers.registry import HandlerRegistry

from .clock import Clock, clock_from_environment
from .context import EngineContext
from .persistence.database import create_schema, make_engine, session_factory


def build_context(database_url: str | None = None, clock: Clock | None = None,
                  registry: HandlerRegistry | None = None) -> EngineContext:
    engine = make_engine(database_url)
    create_schema(engine)
    return EngineContext(sessions=session_factory(engine), registry=registry or default_registry(),
                         clock=clock or clock_from_environment())
