"""Tests of the restricted FEEL evaluator (engine.expressions.feel): table-driven unit cases,
refusals, the FEEL conformance table, and the differential test against feelin (tests/feel)."""

import json
import math
import os
import shutil
import subprocess
import sys
import timeit
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

try:
    import engine  # noqa: F401
except ImportError:  # repo root not on sys.path (package not pip-installed): make it importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import feel_conformance  # noqa: E402
from engine.expressions import ExpressionError, feel  # noqa: E402
from engine.expressions.errors import ExpressionEvaluationError  # noqa: E402
from engine.expressions.feel import YearsMonths  # noqa: E402
from engine.expressions.feel_types import (  # noqa: E402
    format_date_time, format_time, format_timedelta, parse_date, parse_date_time, parse_duration, parse_time,
)

FEEL_DIR = Path(__file__).resolve().parents[1] / "feel"
ROWS = feel_conformance.ROWS
_DECODERS = {"@date": parse_date, "@datetime": parse_date_time, "@time": parse_time, "@duration": parse_duration}


def decode(value):
    """Table value (typed markers) -> Python value."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _DECODERS:
            key = next(iter(value))
            return _DECODERS[key](value[key])
        return {k: decode(v) for k, v in value.items()}
    return value


def assert_same(actual, expected, where=""):
    """Strict comparison: same Python type (int vs float, date vs datetime) and value."""
    if expected is None or isinstance(expected, bool):
        assert actual is expected, f"{where}: {actual!r} != {expected!r}"
    elif isinstance(expected, float):
        assert type(actual) is float and math.isclose(actual, expected, rel_tol=1e-12), f"{where}: {actual!r}"
    elif isinstance(expected, list):
        assert type(actual) is list and len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, dict):
        assert type(actual) is dict and actual.keys() == expected.keys(), f"{where}: {actual!r} != {expected!r}"
        for k in expected:
            assert_same(actual[k], expected[k], f"{where}.{k}")
    else:
        assert type(actual) is type(expected) and actual == expected, f"{where}: {actual!r} != {expected!r}"


def run_row(row):
    context = decode(row["context"])
    if row["kind"] == "unary":
        return feel.compile_unary_tests(row["text"]).matches(decode(row["input"]), context)
    return feel.compile_expression(row["text"]).evaluate(context)


# -- conformance table ------------------------------------------------------------------

def test_conformance_table_is_large_enough():
    assert len(ROWS) >= 80
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    json.dumps(ROWS)  # must stay JSON for the node runner


@pytest.mark.parametrize("row", ROWS, ids=[f'{r["id"]}:{r["text"]}' for r in ROWS])
def test_conformance(row):
    assert_same(run_row(row), decode(row["expected"]), row["text"])


# -- differential test against feelin -----------------------------------------------------

def _canon_feelin(value):
    if isinstance(value, list):
        return [_canon_feelin(v) for v in value]
    if isinstance(value, dict):
        if "@type" in value:
            return (value["@type"], value["value"])
        return {k: _canon_feelin(v) for k, v in value.items()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("number", float(value))
    return value


def _canon_ours(value):
    if isinstance(value, list):
        return [_canon_ours(v) for v in value]
    if isinstance(value, dict):
        return {k: _canon_ours(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return ("FeelDateTime", format_date_time(value))
    if isinstance(value, date):
        return ("FeelDate", value.isoformat())
    if isinstance(value, time):
        return ("FeelTime", format_time(value))
    if isinstance(value, timedelta):
        return ("FeelDuration", format_timedelta(value))
    if isinstance(value, YearsMonths):
        return ("FeelDuration", str(value))
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return ("number", float(value))
    return value


def _agree(a, b) -> bool:
    """Equal after normalisation; numbers as doubles (feelin uses JS numbers, FEEL decimals)."""
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "number":
        return math.isclose(a[1], b[1], rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_agree(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_agree(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module")
def feelin_results():
    if not (FEEL_DIR / "node_modules" / "feelin").is_dir() or shutil.which("node") is None:
        reason = "feelin is not installed: run `npm ci --prefix tests/feel` (needs node >= 20.12)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    proc = subprocess.run(
        ["node", str(FEEL_DIR / "run_feelin.mjs")],
        input=json.dumps(ROWS), capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results = {r["id"]: r for r in json.loads(proc.stdout)}
    assert results.keys() == {r["id"] for r in ROWS}
    return results


def _disagreements(results):
    out = {}
    for row in ROWS:
        theirs = results[row["id"]]
        ours = run_row(row)
        if theirs["error"] is not None:
            out[row["text"]] = f"feelin raised {theirs['error']!r}, ours gave {ours!r}"
            continue
        if row["kind"] == "unary":
            agree = ours is (theirs["value"] is True)
        else:
            agree = _agree(_canon_ours(ours), _canon_feelin(theirs["value"]))
        if not agree:
            out[row["text"]] = f"ours {_canon_ours(ours)!r} vs feelin {_canon_feelin(theirs['value'])!r}"
    return out


def test_differential_against_feelin(feelin_results):
    diffs = _disagreements(feelin_results)
    unexplained = {t: d for t, d in diffs.items() if t not in feel_conformance.FEELIN_EXCEPTIONS}
    assert not unexplained, "FEEL rows where our evaluator and feelin disagree:\n" + "\n".join(
        f"  {t}: {d}" for t, d in unexplained.items())


def test_feelin_exceptions_are_still_needed(feelin_results):
    diffs = _disagreements(feelin_results)
    stale = [t for t in feel_conformance.FEELIN_EXCEPTIONS if t not in diffs]
    assert not stale, f"feelin now agrees on these rows; remove them from FEELIN_EXCEPTIONS: {stale}"
