"""The portal's dry run (``POST /api/applications/check``): the form, then the latest deployed policy.

Nothing is stored. The application is validated as a start validates it (422 with field paths), then the
decisions of the newest deployment of the newborn process answer: may it be accepted (every refusal with its
rule), which materials to bring for the chosen items, and how many working days each item and the whole
application take (the service's :attr:`~engine.service.Service.check`).
"""

from __future__ import annotations

from ..context import EngineContext
from ..errors import NotFound
from ..users import Principal

NEWBORN_PROCESS = "newborn_birth"  # CONTRACT.md: the check is the newborn service's dry run


def check_application(ctx: EngineContext, principal: Principal, raw, key: str = NEWBORN_PROCESS) -> dict:
    """The dry run of the service that runs ``key``, on the latest deployed version's decisions."""
    now = ctx.clock.now()
    service = ctx.services.for_process(key)
    if service.check is None:
        raise NotFound(f"the service of {key!r} has no dry run")
    with ctx.reader() as uow:
        definition = uow.definitions.latest(key)
        if definition is None:
            raise NotFound(f"no process definition {key!r} is deployed")
        decisions = ctx.parsed(uow, definition).decisions
    return service.check(decisions, raw, now, ctx.calendar.current())
