"""The benchmark runs end to end (``bench/run.py --quick --db sqlite``) and ends with its bench line.
Nothing here is timed: only the output's form is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import on_postgresql

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"[0-9]+(?:\.[0-9]+)?"
LINE = re.compile(
    rf"bench: db=sqlite lifecycles_per_s=(?P<x>{NUMBER}) floor_per_s=(?P<y>{NUMBER}) "
    rf"ratio={NUMBER} p50_ms={NUMBER} p99_ms={NUMBER} tasklist_ms_at_100k={NUMBER} cpu_ms_per_app={NUMBER} "
    rf"state_kb={NUMBER} spiff_json_ms={NUMBER} spiff_json_ratio={NUMBER} throughput_per_s=(?P<t>{NUMBER}) "
    rf"throughput_threads=[0-9]+"
)
MISSED = re.compile(r"MISSED [a-z0-9_]+: .+ vs [<>]=? ?[0-9.]+.*: .+")


@pytest.mark.skipif(on_postgresql(), reason="runs on SQLite only, in make test's SQLite pass")
def test_quick_benchmark_ends_with_the_bench_line(service_clock_pinned):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--db", "sqlite"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert LINE.fullmatch(lines[-1]), lines[-5:]
    assert float(LINE.fullmatch(lines[-1])["x"]) > 0 and float(LINE.fullmatch(lines[-1])["y"]) > 0
    assert float(LINE.fullmatch(lines[-1])["t"]) > 0
    assert any("worker RSS" in line for line in lines) and any("task list" in line for line in lines)
    # where the CPU goes, by library -- or why there is no profile (py-spy missing, or not allowed to attach)
    assert any(line.startswith("  profile of api (") or "no profile" in line for line in lines), lines
    summary = next(i for i, line in enumerate(lines) if line.startswith("bench: condition_eval_us="))
    assert re.fullmatch(rf"bench: condition_eval_us={NUMBER} dmn_eval_us={NUMBER}", lines[summary]), lines[-3:]
    assert all(MISSED.fullmatch(line) for line in lines[summary + 1 : -1]), lines[summary:]
