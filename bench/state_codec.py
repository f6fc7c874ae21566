"""What writing and reading an instance's state costs: applications run to their end in memory (SpiffWorkflow
alone, as ``bench/floor.py``), with the workflow written in our compact format and read back at every wait
state, as the service does at each save. Each workflow written (not changed after: the run goes on with the
one read back) and each state are then written and read again ``rounds`` times, without the garbage
collector's pauses: the steadier figure. Prints milliseconds per dump and per load (thread time), dumps per
application, and the size of a finished application's state.

    .venv/bin/python -m bench.state_codec [applications=20] [rounds=5]"""

from __future__ import annotations

import gc
import sys
import time
from datetime import datetime, timezone

from bench import floor
from engine.business_rules import StateSerializer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class TimedSerializer(StateSerializer):
    """The state serializer, timing its dumps and loads (thread time) and keeping what it wrote."""

    def __init__(self) -> None:
        super().__init__()
        self.dump_s = self.load_s = 0.0
        self.dumps_n = self.loads_n = 0
        self.written: list = []  # (workflow, its state)

    def dumps(self, workflow) -> str:
        started = time.thread_time()
        state = super().dumps(workflow)
        self.dump_s += time.thread_time() - started
        self.dumps_n += 1
        self.written.append((workflow, state))
        return state

    def loads(self, state, spec, subprocess_specs, script_engine):
        started = time.thread_time()
        workflow = super().loads(state, spec, subprocess_specs, script_engine)
        self.load_s += time.thread_time() - started
        self.loads_n += 1
        return workflow


def _per_call_ms(calls, rounds: int) -> float:
    """Milliseconds of thread time per call, without the garbage collector's pauses (they fall on whichever
    call allocates when a collection is due: the figures before and after a change would move with them)."""
    gc.collect()
    gc.disable()
    try:
        started = time.thread_time()
        for _ in range(rounds):
            for call in calls:
                call()
        return 1000 * (time.thread_time() - started) / (rounds * len(calls))
    finally:
        gc.enable()


def main(argv: list[str]) -> None:
    numbers = [int(arg) for arg in argv if arg.isdigit()]
    apps = numbers[0] if numbers else 20
    rounds = numbers[1] if len(numbers) > 1 else 5
    spec, subprocess_specs = floor.parse()
    engine = floor.script_engine()
    variables = [floor.start_variables(seq, NOW) for seq in range(1, apps + 1)]
    floor.lifecycle(spec, subprocess_specs, engine, variables[0], 1, NOW, StateSerializer())  # warm caches
    serializer = TimedSerializer()
    for seq, start in enumerate(variables, 1):
        if floor.lifecycle(spec, subprocess_specs, engine, start, seq, NOW, serializer) != "completed":
            raise RuntimeError(f"application {seq} did not complete")
    plain = StateSerializer()
    dumps = [lambda workflow=workflow: plain.dumps(workflow) for workflow, _ in serializer.written]
    loads = [lambda state=state: plain.loads(state, spec, subprocess_specs, engine) for _, state in serializer.written]
    print(f"{apps} applications, {serializer.dumps_n / apps:.1f} dumps and loads each")
    print(
        f"while running: dump {1000 * serializer.dump_s / serializer.dumps_n:.2f} ms, "
        f"load {1000 * serializer.load_s / serializer.loads_n:.2f} ms"
    )
    dump_ms, load_ms = _per_call_ms(dumps, rounds), _per_call_ms(loads, rounds)
    print(f"again x{rounds} (no gc pauses): dump {dump_ms:.2f} ms, load {load_ms:.2f} ms")
    print(f"finished application's state: {len(serializer.written[-1][1].encode()) / 1024:.1f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
