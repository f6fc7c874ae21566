"""Tests of the restricted FEEL evaluator (engine.expressions.feel): table-driven unit cases,
refusals, the FEEL conformance table, and the differential test against feelin (tests/feel)."""

import json
import math
import os
import shutil
import subprocess
import timeit
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.expressions import ExpressionError, feel
from engine.expressions.errors import ExpressionEvaluationError
from engine.expressions.feel import YearsMonths
from engine.expressions.feel_types import (
    format_date_time,
    format_time,
    format_timedelta,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
)

if __package__:
    from . import feel_conformance
else:  # pragma: no cover - collected without the tests package
    import feel_conformance

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
        for i, (a, e) in enumerate(zip(actual, expected, strict=False)):
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


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['id']}:{r['text']}" for r in ROWS])
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
        return len(a) == len(b) and all(_agree(x, y) for x, y in zip(a, b, strict=True))
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
        input=json.dumps(ROWS),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
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
        f"  {t}: {d}" for t, d in unexplained.items()
    )


def test_feelin_exceptions_are_still_needed(feelin_results):
    diffs = _disagreements(feelin_results)
    stale = [t for t in feel_conformance.FEELIN_EXCEPTIONS if t not in diffs]
    assert not stale, f"feelin now agrees on these rows; remove them from FEELIN_EXCEPTIONS: {stale}"


# -- behaviour beyond the conformance table -------------------------------------------------

CTX = {
    "mother": {"hukou_division": "620102", "birth": date(1996, 5, 4)},
    "申请人": {"姓名": "李四"},
    "x": 5,
    "price": Decimal("2.50"),
    "ratio": 0.25,
    "flag": True,
    "born": datetime(2026, 10, 1, 8, 30, tzinfo=timezone.utc),
    "wait": timedelta(days=2),
    "codes": ["620102", "620103"],
}

EXPRESSIONS = [
    ("3.0", 3),
    ("x", 5),
    ("x / 2", 2.5),
    ("price * 2", 5),
    ("ratio + 0.5", 0.75),
    ("申请人.姓名", "李四"),
    ("mother.birth.year", 1996),
    ("x in [1..5] and flag", True),  # 'in' binds tighter than 'and'
    ("x in [1..4] or flag", True),
    ('born < date and time("2026-10-01T09:00:00Z")', True),
    ('born < date and time("2026-10-01T09:00:00")', None),  # zoned vs local: not comparable
    ('wait = duration("P2D")', True),
    ('wait > duration("PT47H")', True),
    ('date("2026-10-01") + wait', date(2026, 10, 3)),
    ('date and time("2026-10-01T10:00:00@Asia/Shanghai")', datetime(2026, 10, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))),
    ('duration("P1Y") > duration("P11M")', True),
    ('duration("P1Y") > duration("P1D")', None),
    ('years and months duration(date("2020-01-31"), date("2020-02-29"))', YearsMonths(0)),
    ('years and months duration(date("2026-10-01"), date("2020-01-01"))', YearsMonths(-81)),
    ("list contains(codes, mother.hukou_division)", True),
    ("mother.hukou_division in codes", True),
    ("count(codes) > 1", True),
    ('if count(codes) > 5 then "many" else "few"', "few"),
    ('{"a b": 1, c: {d: 2}}', {"a b": 1, "c": {"d": 2}}),
    ("{a: 1, b: a + 1}.b", 2),
    ('date("2026-02-30")', None),
    ('date("20261001")', None),
    ('duration("P1Y2D")', None),
    ('number("abc")', None),
    ('substring("foobar", 0)', None),
    ("upper case(1)", None),
    ("-x", -5),
    ("2 ** -1", 0.5),
    ("floor(x / 2)", 2),
    ('string(duration("PT90M"))', "PT1H30M"),
    ('string(date and time("2026-10-01T10:00:00+08:00"))', "2026-10-01T10:00:00+08:00"),
    ('"multi\\nline \\"quoted\\""', 'multi\nline "quoted"'),
    ('"\\u4e2d"', "中"),
    ("x > 3 // a trailing comment", True),
    ("/* leading */ x", 5),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize("text,expected", EXPRESSIONS)
def test_expression(text, expected):
    assert_same(feel.compile_expression(text).evaluate(CTX), expected, text)


UNARY = [
    ("= 3", 3, True),
    ("!= 3", 3, False),
    ("!= 3", 4, True),
    ("", "anything", True),  # an empty input entry matches like "-"
    ("  -  ", None, True),
    ('"620102", "620103"', "620103", True),
    ("codes", "620103", True),
    ("mother.hukou_division", "620102", True),
    ("? in codes", "620102", True),
    ('starts with(?, "6201") and string length(?) = 6', "620102", True),
    ("< x", 4, True),
    ("[x - 1..x + 1]", 6, True),
    ('>= date("2026-01-01")', date(2026, 10, 1), True),
    ('>= date("2026-01-01")', datetime(2026, 10, 1), False),  # date vs date-time: incomparable
    ('< duration("P3D")', timedelta(days=2), True),
    ("> 2", Decimal("2.5"), True),
    ("> 2", 2.5, True),
    ("> 2", True, False),
    ("not(1, 2)", 3, True),
    ("true", 1, False),
    ("flag", False, True),  # an expression yielding true matches any input (feel-scala rule)
]


@pytest.mark.parametrize("text,value,expected", UNARY)
def test_unary_tests(text, value, expected):
    assert feel.compile_unary_tests(text).matches(value, CTX) is expected


def test_three_valued_test_result():
    assert feel.compile_unary_tests("< 3").test(None) is None
    assert feel.compile_unary_tests("< 3").test(5) is False
    assert feel.compile_unary_tests("< 3, > 5").test("a") is None
    assert feel.compile_unary_tests("-").is_any and not feel.compile_unary_tests("1").is_any


def test_today_and_now_are_pinned_by_the_caller():
    pinned_now = datetime(2026, 10, 1, 9, 30, tzinfo=timezone.utc)
    expr = feel.compile_expression("today()")
    assert expr.evaluate({}, today=date(2026, 10, 1)) == date(2026, 10, 1)
    assert expr.evaluate({}, now=pinned_now) == date(2026, 10, 1)
    assert feel.compile_expression("now()").evaluate({}, now=pinned_now) == pinned_now
    assert isinstance(feel.compile_expression("now()").evaluate({}), datetime)
    age = feel.compile_expression("years and months duration(mother.birth, today()).years")
    assert age.evaluate(CTX, today=date(2026, 5, 3)) == 29
    assert age.evaluate(CTX, today=date(2026, 5, 4)) == 30
    overdue = feel.compile_unary_tests('< today() - duration("P30D")')
    assert overdue.matches(date(2026, 8, 1), {}, today=date(2026, 10, 1))
    assert "__today__" not in str(expr.tree)


def test_years_months_value_type():
    assert YearsMonths(14) > YearsMonths(12)
    assert str(YearsMonths(14)) == "P1Y2M" and str(YearsMonths(-3)) == "-P3M" and str(YearsMonths(0)) == "P0M"
    assert YearsMonths(14).years_part == 1 and YearsMonths(14).months_part == 2
    assert feel.compile_expression('duration("P1Y2M")').evaluate() == YearsMonths(14)


def test_results_are_plain_python_values():
    value = feel.compile_expression('[1, 1.5, "a", {b: 2}]').evaluate()
    assert value == [1, 1.5, "a", {"b": 2}]
    assert [type(v) for v in value] == [int, float, str, dict]
    json.dumps(value)


COMPILE_ERRORS = [
    '__import__("os")',
    "__import__('os')",
    "().__class__.__mro__",
    "x.__class__",
    "__builtins__",
    "lambda: 1",
    'open("/etc/passwd")',
    'eval("1")',
    "exec(x)",
    "getattr(x, y)",
    "not_a_function(1)",
    "count()",
    "date()",
    "a.b()",
    "a[0]",
    "x if y else z",
    "for x in [1] return x",
    "some x in [1] satisfies x > 0",
    "function(x) x",
    "x instance of number",
    "1 +",
    "1 2",
    '"unterminated',
    "'single quoted'",
    '"bad \\q escape"',
    '@"not a date"',
    "x ? y",
    "x; y",
    "x := 1",
    "import os",
    "[1..5]",
    "not(< 3)",
    "x == 1",
    "x && y",
]


@pytest.mark.parametrize("text", COMPILE_ERRORS)
def test_expression_compile_rejects(text):
    with pytest.raises(ExpressionError) as info:
        feel.compile_expression(text)
    assert info.value.expression == text
    assert not isinstance(info.value, ExpressionEvaluationError)


UNARY_COMPILE_ERRORS = [
    "<",
    "[1..]",
    ">> 3",
    "not(",
    "1,",
    ",",
    "[1..5",
    "< __import__('os')",
    "open('x')",
    "? > ",
    "--",
    "(1..5]]",
]


@pytest.mark.parametrize("text", UNARY_COMPILE_ERRORS)
def test_unary_compile_rejects(text):
    with pytest.raises(ExpressionError):
        feel.compile_unary_tests(text)


def test_error_message_names_text_and_position():
    with pytest.raises(ExpressionError) as info:
        feel.compile_expression("mother.age >")
    assert info.value.position == len("mother.age >")
    assert "mother.age >" in str(info.value)
    with pytest.raises(ExpressionError, match="Unknown or disallowed function 'system'"):
        feel.compile_expression('system("ls")')


def test_non_string_rejected():
    with pytest.raises(ExpressionError):
        feel.compile_expression(42)


def test_compiled_objects_are_cached():
    assert feel.compile_expression("x + 1") is feel.compile_expression("x + 1")
    assert feel.compile_unary_tests("< 3") is feel.compile_unary_tests("< 3")


def test_evaluation_is_fast():
    tests = feel.compile_unary_tests('"gansu","guizhou"')
    expr = feel.compile_expression("mother.hukou_division")
    per_test = min(timeit.repeat(lambda: tests.matches("guizhou", {}), number=2000, repeat=5)) / 2000
    per_expr = min(timeit.repeat(lambda: expr.evaluate(CTX), number=2000, repeat=5)) / 2000
    assert per_test < 50e-6 and per_expr < 50e-6  # typically 1-2 us; generous for slow CI machines


def test_pathological_input_is_contained():
    with pytest.raises(ExpressionError, match="too deeply nested"):
        feel.compile_expression("1" + "+1" * 5000)
    assert feel.compile_expression("2 ** 999999999").evaluate() is None  # decimal overflow -> null
