"""Use cases: each one a function over an ``EngineContext`` and one unit of work that it commits."""
