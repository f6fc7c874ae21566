"""A worker process that dies (SIGKILL) after a department handler ran and before the result is saved.

Used by test_concurrency: the job must be taken again after its lock expires, and the department's side
effect (a number issued) must happen once, thanks to the idempotency key.
"""

from __future__ import annotations

import os
import signal
import sys
import types
from datetime import timedelta

from engine.bootstrap import build_context
from engine.clock import Clock
from engine.worker import Worker


def main(database_url: str, lock_seconds: int, clock_offset_seconds: float = 0.0) -> None:
    """``clock_offset_seconds``: the test's service clock (``Clock.offset``), so both processes agree on now."""
    ctx = build_context(database_url, clock=Clock(timedelta(seconds=clock_offset_seconds)))

    def die_before_saving(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    ctx.workflows.save = types.MethodType(die_before_saving, ctx.workflows)
    Worker(ctx, name="doomed-worker", lock_seconds=lock_seconds).run_once()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *(float(arg) for arg in sys.argv[3:4]))
