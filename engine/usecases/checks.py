"""The portal's dry run (``POST /api/applications/check``): the form, then the latest deployed policy.

Nothing is stored. The request is validated as a start validates it (422 with field paths), then the
decisions new instances of the process would run with answer: may it be accepted (every refusal with its rule),
which materials to bring, how many working days it takes (the service's :class:`~engine.service.DryRun`).
Without a process key, the one installed process whose service has a dry run is meant.
"""

from __future__ import annotations

from ..context import EngineContext
from ..errors import NotFound
from ..users import Principal


def _only_checked_process(ctx: EngineContext) -> str:
    keys = sorted(key for service in ctx.services.all if service.dry_run is not None for key in service.process_keys)
    if len(keys) != 1:
        raise NotFound(
            "name the process: POST /api/process-definitions/{key}/check"
            f" ({', '.join(keys) or 'no installed service has a dry run'})"
        )
    return keys[0]


def check_application(ctx: EngineContext, principal: Principal, raw, key: str | None = None) -> dict:
    """The dry run of the service that runs ``key``, on the latest deployed version's decisions."""
    now = ctx.clock.now()
    key = key or _only_checked_process(ctx)
    service = ctx.services.for_process(key)
    if service.dry_run is None:
        raise NotFound(f"the service of {key!r} has no dry run")
    with ctx.reader() as uow:
        definition = uow.definitions.latest(key)
        if definition is None:
            raise NotFound(f"no process definition {key!r} is deployed")
        decisions = ctx.parsed(uow, uow.definitions.deployment_running(definition.id) or definition).decisions
    return service.dry_run.check(decisions, raw, now, ctx.calendar.current())
