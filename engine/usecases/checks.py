"""The portal's dry run (``POST /api/applications/check``): the form, then the latest deployed policy.

Nothing is stored. The application is validated as a start validates it (422 with field paths), then the
decisions of the newest deployment of the newborn process answer: may it be accepted (every refusal with its
rule), which materials to bring for the chosen items, and how many working days each item and the whole
application take (:func:`engine.policy.check`).
"""

from __future__ import annotations

from .. import policy
from ..context import EngineContext
from ..errors import NotFound
from ..users import Principal
from .instances import validated_application

NEWBORN_PROCESS = "newborn_birth"  # CONTRACT.md: the process key of the newborn service


def check_application(ctx: EngineContext, principal: Principal, raw) -> dict:
    now = ctx.clock.now()
    application = validated_application(raw, now)
    with ctx.reader() as uow:
        definition = uow.definitions.latest(NEWBORN_PROCESS)
        if definition is None:
            raise NotFound(f"no process definition {NEWBORN_PROCESS!r} is deployed")
        decisions = ctx.parsed(uow, definition).decisions
    return policy.check(decisions, application, now, ctx.calendar.current())
