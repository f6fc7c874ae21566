"""Wiring: build an ``EngineContext`` for a database URL (schema created, handlers registered, the
working-day calendar seeded with the years the installed ``chinesecalendar`` covers)."""

from __future__ import annotations

from handlers import default_registry
from handlers.registry import HandlerRegistry

from .clock import Clock, clock_from_environment
from .context import EngineContext
from .persistence.database import create_schema, make_engine, session_factory
from .usecases.calendar import seed_from_package


def build_context(database_url: str | None = None, clock: Clock | None = None,
                  registry: HandlerRegistry | None = None) -> EngineContext:
    engine = make_engine(database_url)
    create_schema(engine)
    ctx = EngineContext(sessions=session_factory(engine), registry=registry or default_registry(),
                        clock=clock or clock_from_environment())
    seed_from_package(ctx)
    return ctx
