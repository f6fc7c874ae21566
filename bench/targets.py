"""The benchmark's targets (issue 26) and, for each one a run misses, a ``MISSED`` line with what the run
measured that limits it: where the CPU of an application went, where the bytes of its stored state are, how
busy the machine was.

    MISSED <figure>: <value> vs <target>: <measured cause>
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

CORES = 2  # the machine the targets are for

CPU_MS_PER_APP = 60
LIFECYCLES_PER_S, AT_THREADS = 25, 32
P99_MS, P99_AT_THREADS = 100, 16
STATE_KB = 20
SPIFF_JSON_RATIO = 0.3
TASKLIST_MS = 20


@dataclass
class Figures:
    """What one database's run measured."""

    threads: int  # client threads of the timed phase (its p99)
    lifecycles_per_s: float
    throughput_threads: int  # client threads of the throughput phase
    throughput_per_s: float
    p99_ms: float
    cpu_ms: dict[str, float]  # per complete application, by process (api, worker, database)
    calls_per_app: float
    state_kb: float
    state_parts: dict[str, float]  # KB of the stored state, by part
    spiff_json_ms: float
    tasklist_ms: float | None
    load_average: float
    profile: dict[str, str] = field(default_factory=dict)  # by process kind: its CPU in Python by library

    @property
    def cpu_ms_per_app(self) -> float:
        return sum(self.cpu_ms.values())

    @property
    def spiff_json_ratio(self) -> float:
        return self.spiff_json_ms / self.cpu_ms_per_app if self.cpu_ms_per_app else float("nan")


def _cpu_parts(figures: Figures) -> str:
    parts = ", ".join(f"{name} {ms:.0f} ms" for name, ms in sorted(figures.cpu_ms.items(), key=lambda kv: -kv[1]))
    per_call = figures.cpu_ms.get("api", 0) / max(figures.calls_per_app, 1)
    found = f"{parts} over {figures.calls_per_app:.1f} API calls ({per_call:.1f} ms of API CPU per call)"
    profiled = "; ".join(f"{kind}: {line}" for kind, line in figures.profile.items())
    return f"{found}; profile (CPU in Python by library) {profiled}" if profiled else found


def missed(figures: Figures) -> list[str]:
    """One line per target the run missed, with its measured cause."""
    lines = []
    cpu = figures.cpu_ms_per_app
    cpu_cap = CORES * 1000 / cpu if cpu else float("inf")
    if cpu > CPU_MS_PER_APP:
        lines.append(f"MISSED cpu_ms_per_app: {cpu:.0f} vs <= {CPU_MS_PER_APP}: {_cpu_parts(figures)}")
    if figures.throughput_per_s < LIFECYCLES_PER_S:
        lines.append(
            f"MISSED throughput_per_s: {figures.throughput_per_s:.1f} at {figures.throughput_threads} client "
            f"threads vs >= {LIFECYCLES_PER_S} at {AT_THREADS}: {cpu:.0f} ms of CPU per application on {CORES} cores "
            f"allows at most {cpu_cap:.1f}/s; at this rate the service's processes use about "
            f"{figures.throughput_per_s * cpu / 10 / CORES:.0f}% of them (load average {figures.load_average:.1f}, "
            f"the bench's own clients included)"
        )
    if figures.p99_ms >= P99_MS:
        lines.append(
            f"MISSED p99_ms: {figures.p99_ms:.1f} at {figures.threads} client threads vs < {P99_MS} at "
            f"{P99_AT_THREADS}: calls queue for the CPU ({figures.lifecycles_per_s:.1f} applications/s use "
            f"{figures.lifecycles_per_s * cpu / 10 / CORES:.0f}% of {CORES} cores; load average "
            f"{figures.load_average:.1f})"
        )
    if figures.state_kb > STATE_KB:
        parts = ", ".join(f"{name} {kb:.1f} KB" for name, kb in figures.state_parts.items())
        lines.append(f"MISSED state_kb: {figures.state_kb:.1f} vs <= {STATE_KB}: {parts}")
    if figures.spiff_json_ratio < SPIFF_JSON_RATIO:
        lines.append(
            f"MISSED spiff_json_ratio: {figures.spiff_json_ratio:.2f} vs >= {SPIFF_JSON_RATIO}: the library with "
            f"JSON state spends {figures.spiff_json_ms:.1f} ms per lifecycle, we spend {cpu:.0f} ms "
            f"({_cpu_parts(figures)})"
        )
    if figures.tasklist_ms is not None and figures.tasklist_ms >= TASKLIST_MS:
        lines.append(
            f"MISSED tasklist_ms_at_100k: {figures.tasklist_ms:.1f} vs < {TASKLIST_MS}: see the task-list lines"
        )
    return lines


def state_parts(state: str) -> dict[str, float]:
    """KB of a stored workflow state by part: the workflow's own data, each task's data (or its changes
    from its parent's), the tasks' bookkeeping (ids, states, links), the pool of values stored once."""
    dct = json.loads(state)

    def size(value) -> float:
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()) / 1024

    parts = {"workflow data": 0.0, "task data": 0.0, "task bookkeeping": 0.0, "values stored once": 0.0}

    def walk(workflow: dict) -> None:
        parts["workflow data"] += size(workflow.get("data", {}))
        tasks = workflow.get("tasks", {})
        for task in tasks.values() if isinstance(tasks, dict) else tasks:
            if isinstance(task, list):  # ours: [id, spec, state, changed, children, {"d" or "D", ...}]
                task = {"entry": task[:5], **(task[5] if len(task) > 5 else {})}
            data = {key: task[key] for key in ("data", "delta", "d", "D") if key in task}
            parts["task data"] += size(data)
            parts["task bookkeeping"] += size(task) - size(data)
        for sub in workflow.get("subprocesses", {}).values():
            walk(sub)

    walk(dct)
    if "values" in dct:
        parts["values stored once"] = size(dct["values"])
    return {name: kb for name, kb in parts.items() if kb}
