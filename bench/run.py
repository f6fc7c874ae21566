"""Benchmark: full Gansu applications through the real HTTP API, against SpiffWorkflow alone.

For each database (SQLite file; PostgreSQL on a throwaway server from ``tests/support/pgcluster.py``) it
starts ``onething serve --no-worker`` and ``onething worker`` processes, then from several client threads
drives full applications over HTTP — start, every review claimed and completed by its clerk, the messages
the application waits for, the worker running every service task — and times every API call. It reads the
worker's RSS before and after, then bulk-inserts completed applications and times a clerk's first
task-list page at 10,000 and at 100,000 of them. In the same run SpiffWorkflow alone runs the same
process in memory (``bench/floor.py``): the floor.

Progress goes to the output while it runs; the last lines are one per database:

    bench: db=<name> lifecycles_per_s=<x> floor_per_s=<y> ratio=<x/y> p50_ms=<a> p99_ms=<b> tasklist_ms_at_100k=<c>
        cpu_ms_per_app=<d> state_kb=<e> spiff_json_ms=<f> spiff_json_ratio=<f/d> throughput_per_s=<g>
        throughput_threads=<n>

(on one line), each after a ``MISSED <figure>: <value> vs <target>: <measured cause>`` line for every target
of ``bench/targets.py`` the run missed. ``cpu_ms_per_app`` is the CPU of the API, worker and database server
processes per complete application; ``state_kb`` the mean stored workflow state of a finished one;
``spiff_json_ms`` SpiffWorkflow alone on the same process with its whole state written to JSON and read back
at every wait state, milliseconds per lifecycle.

    python bench/run.py [--apps 200] [--threads 16] [--throughput-threads 32] [--db sqlite|postgresql|both]
        [--memory-apps 300] [--quick] [--no-tasklist] [--no-profile]

After the timed applications, a few more run while py-spy (the ``bench`` extra) samples the API and worker
processes (``bench/profile.py``): the ``MISSED`` lines for CPU name where it goes, by library.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from sqlalchemy import select, text  # noqa: E402

from bench import expressions, floor, phases, profile, targets  # noqa: E402
from bench.seed import Seeder  # noqa: E402
from engine.bootstrap import ready_context  # noqa: E402
from engine.persistence.database import make_engine  # noqa: E402
from engine.persistence.models import ProcessInstance  # noqa: E402
from engine.usecases.accounts import add_user  # noqa: E402
from tests.support import pgcluster  # noqa: E402
from tests.support.lifecycle import accounts  # noqa: E402
from tests.support.services import services  # noqa: E402


def say(message: str) -> None:
    print(message, flush=True)


@contextmanager
def database(name: str, workdir: Path):
    """(URL, the database server's process id or None)."""
    if name == "sqlite":
        say("  SQLite (WAL, synchronous=NORMAL), in the API and worker processes")
        yield f"sqlite:///{workdir / 'bench.db'}", None
        return
    # fsync on; commits do not wait for it, like SQLite's WAL with synchronous=NORMAL
    with pgcluster.cluster(durable=True, settings={"synchronous_commit": "off"}) as pg:
        say(f"  {pg.version}, fsync on, synchronous_commit off, on 127.0.0.1:{pg.port}")
        yield pg.url(), pg.server_pid()


class CpuMeter:
    """CPU seconds of the API, worker and database server processes over a phase."""

    def __init__(self, running, server_pid: int | None) -> None:
        self.parts = {"api": [p.pid for p in running.apis], "worker": [p.pid for p in running.workers]}
        self.server_pid = server_pid
        self.start = self.read()

    def read(self) -> dict[str, float]:
        found = {part: sum(phases.cpu_seconds(pid) for pid in pids) for part, pids in self.parts.items()}
        if self.server_pid:
            found["database"] = phases.cpu_seconds(self.server_pid, children=True)
        return found

    def per(self, count: int) -> dict[str, float]:
        """Milliseconds of CPU per ``count`` (applications) since the start, by part."""
        end = self.read()
        return {part: (end[part] - self.start[part]) * 1000 / count for part in end}


def stored_state(url: str) -> tuple[float, dict[str, float]]:
    """Mean KB of the stored workflow state of the finished applications, and the parts of the largest."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            states = conn.scalars(
                select(ProcessInstance.workflow_state).where(ProcessInstance.state == "completed")
            ).all()
    finally:
        engine.dispose()
    sizes = [len(state.encode()) / 1024 for state in states]
    return sum(sizes) / len(sizes), targets.state_parts(max(states, key=len))


def seeded_tasklist(url: str, api_url: str, token: str, sizes: list[int], say) -> dict[int, float]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            summary = conn.scalar(select(ProcessInstance.summary).where(ProcessInstance.state == "completed").limit(1))
        seeder = Seeder(engine, summary, phases_now())
        seeder.add_open()
        found = {}
        for size in sizes:
            say(f"  inserting completed applications up to {size:,} …")
            seeder.grow_to(size)
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("ANALYZE"))
            found[size] = phases.tasklist_ms(api_url, token)
            say(
                f"  task list (first page, {seeder.open_tasks} open tasks) at {size:,} completed applications: "
                f"{found[size]:.1f} ms"
            )
        return found
    finally:
        engine.dispose()


def worker_memory(urls, tokens, args, now, numbers, worker_pid: int, rss_start: float) -> None:
    """Drive applications up to ``--memory-apps`` in all, printing the worker's RSS after every tenth of
    them (it should stay flat)."""
    done = args.apps + 2
    more = max(args.memory_apps - args.apps, 0)
    if more:
        say(f"  {more} more applications for the worker's memory, its RSS after each tenth …")
    step = max(more // 10, 1)
    while more > 0:
        count = min(step, more)
        seconds, _ = phases.lifecycles(urls, tokens, count, args.threads, now, numbers)
        done += count
        more -= count
        say(f"  worker RSS {phases.rss_mb(worker_pid):.1f} MB after {done:,} applications ({count / seconds:.1f}/s)")
    say(
        f"  worker RSS: {rss_start:.1f} MB at the start, {phases.rss_mb(worker_pid):.1f} MB after {done:,} applications"
    )


def throughput_phase(urls, tokens, args, now, numbers) -> float:
    """Applications a second with ``--throughput-threads`` client threads (the throughput target's 32): as many
    applications as the timed phase, from more clients at once."""
    say(f"  {args.apps} more applications from {args.throughput_threads} client threads, for the throughput …")
    seconds, timings = phases.lifecycles(urls, tokens, args.apps, args.throughput_threads, now, numbers)
    per_s = args.apps / seconds
    say(
        f"  {per_s:.1f} applications/s with {args.throughput_threads} client threads "
        f"({len(timings) / args.apps:.1f} API calls per application), load average {os.getloadavg()[0]:.1f}"
    )
    return per_s


def profiled_phase(running, urls, tokens, args, now, numbers, workdir: Path) -> profile.Profile:
    """More applications while py-spy samples the API and worker processes (apart from the timed ones: the
    sampler's own CPU would slow them): where their CPU goes, by library."""
    if args.no_profile:
        say("  --no-profile: the processes are not profiled")
        return profile.Profile()
    count = max(args.apps // 3, 10)
    pids = {"api": [p.pid for p in running.apis], "worker": [p.pid for p in running.workers]}
    say(f"  {count} more applications with py-spy sampling the API and worker processes …")
    with profile.sampled(pids, workdir, say) as found:
        phases.lifecycles(urls, tokens, count, args.threads, now, numbers)
    for kind in ("api", "worker"):
        if found.line(kind):
            say(f"  profile of {kind} (CPU in Python, by library): {found.line(kind, top=10)}")
    return found


def phases_now():
    from engine.clock import clock_from_environment

    return clock_from_environment().now()


def run_database(name: str, args, floor_per_s: float, spiff_json_ms: float, numbers: phases.Sequence) -> list[str]:
    say(f"== {name}")
    with tempfile.TemporaryDirectory(prefix="onething-bench-") as tmp, database(name, Path(tmp)) as (url, pid):
        ctx = ready_context(url)
        tokens = {user: add_user(ctx, user, **spec) for user, spec in accounts().items()}
        now = ctx.clock.now()
        with services(
            url, Path(tmp) / "logs", apis=args.apis, workers=args.workers, threads=args.api_threads, idle_wait=1.0
        ) as running:
            urls, workers = running.urls, running.workers
            phases.lifecycles(urls, tokens, 2, 1, now, numbers)  # warm up: specs parsed, caches filled
            rss_start = phases.rss_mb(workers[0].pid)
            say(
                f"  {args.apps} applications from {args.threads} client threads, {args.apis} API and "
                f"{args.workers} worker process(es), "
                f"load average {os.getloadavg()[0]:.1f} …"
            )
            cpu = CpuMeter(running, pid)
            seconds, timings = phases.lifecycles(urls, tokens, args.apps, args.threads, now, numbers, say)
            per_s = args.apps / seconds
            p50, p99 = (phases.percentile(timings, q) * 1000 for q in (0.50, 0.99))
            say(
                f"  {args.apps} lifecycles in {seconds:.1f} s: {per_s:.1f}/s, {len(timings)} API calls "
                f"({len(timings) / args.apps:.1f} per application), p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            load_average = os.getloadavg()[0]
            cpu_ms = cpu.per(args.apps)
            say(
                "  CPU per lifecycle: "
                + ", ".join(
                    [f"{part} {ms:.0f} ms" for part, ms in cpu_ms.items()] + [f"total {sum(cpu_ms.values()):.0f} ms"]
                )
            )
            state_kb, state_parts = stored_state(url)
            say(f"  stored state of a finished application: {state_kb:.1f} KB on average")
            throughput = throughput_phase(urls, tokens, args, now, numbers)
            profiled = profiled_phase(running, urls, tokens, args, now, numbers, Path(tmp))
            worker_memory(urls, tokens, args, now, numbers, workers[0].pid, rss_start)
            sizes = [10_000, 100_000] if not args.quick else [200, 1_000]
            if args.quick:
                say(f"  --quick: the task list is measured at {sizes[0]:,} and {sizes[1]:,}, not 10,000 and 100,000")
            if args.no_tasklist:
                say("  --no-tasklist: the task list is not measured")
                tasklist_ms = "skipped"
            else:
                tasklist_ms = f"{seeded_tasklist(url, urls[0], tokens['midwifery'], sizes, say)[sizes[-1]]:.1f}"
    figures = targets.Figures(
        threads=args.threads,
        lifecycles_per_s=per_s,
        throughput_threads=args.throughput_threads,
        throughput_per_s=throughput,
        p99_ms=p99,
        cpu_ms=cpu_ms,
        calls_per_app=len(timings) / args.apps,
        state_kb=state_kb,
        state_parts=state_parts,
        spiff_json_ms=spiff_json_ms,
        tasklist_ms=None if tasklist_ms == "skipped" else float(tasklist_ms),
        load_average=load_average,
        profile={kind: profiled.line(kind) for kind in ("api", "worker") if profiled.line(kind)},
    )
    return targets.missed(figures) + [
        f"bench: db={name} lifecycles_per_s={per_s:.1f} floor_per_s={floor_per_s:.1f} "
        f"ratio={per_s / floor_per_s:.4f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"tasklist_ms_at_100k={tasklist_ms} cpu_ms_per_app={figures.cpu_ms_per_app:.1f} "
        f"state_kb={state_kb:.1f} spiff_json_ms={spiff_json_ms:.1f} spiff_json_ratio={figures.spiff_json_ratio:.3f} "
        f"throughput_per_s={throughput:.1f} throughput_threads={args.throughput_threads}"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=200, help="applications timed per database")
    parser.add_argument("--threads", type=int, default=16, help="client threads of the timed phase (p99's target)")
    parser.add_argument(
        "--throughput-threads", type=int, default=32, help="client threads of the throughput phase (its target's)"
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--memory-apps", type=int, default=300, help="applications before the worker's RSS is read again (try 10000)"
    )
    parser.add_argument("--apis", type=int, default=2, help="onething serve processes (one per core)")
    parser.add_argument("--workers", type=int, default=1, help="onething worker processes")
    parser.add_argument(
        "--api-threads",
        type=int,
        default=32,
        help="threads of each API process (half of them may hold a long poll: enough for every client thread)",
    )
    parser.add_argument("--floor-apps", type=int, default=300, help="applications SpiffWorkflow alone runs")
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke test")
    parser.add_argument("--no-profile", action="store_true", help="do not sample the processes with py-spy")
    parser.add_argument(
        "--no-tasklist",
        action="store_true",
        help="skip the task-list measurement (it inserts 100,000 applications): for profiling runs",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.apps, args.threads, args.memory_apps, args.floor_apps, args.throughput_threads = 6, 2, 0, 20, 3
    say(f"floor: SpiffWorkflow alone, {args.floor_apps} applications in memory, one thread …")
    floor_per_s = floor.measure(args.floor_apps, phases_now())
    say(f"  {floor_per_s:.1f} lifecycles/s")
    spiff_json_ms = floor.measure_json(args.floor_apps, phases_now())
    say(f"  with its whole state written to JSON and read back at every wait state: {spiff_json_ms:.1f} ms a lifecycle")
    condition_us, dmn_us = expressions.measure()
    say(f"  a parsed JUEL condition: {condition_us:.1f} µs; a 20-row FEEL decision table: {dmn_us:.0f} µs")
    numbers = phases.Sequence()
    names = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    lines = [run_database(name, args, floor_per_s, spiff_json_ms, numbers) for name in names]
    say(f"bench: condition_eval_us={condition_us:.1f} dmn_eval_us={dmn_us:.1f}")
    for line in (line for found in lines for line in found):
        say(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
