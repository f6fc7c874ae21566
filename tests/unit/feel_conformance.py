"""FEEL conformance table: DMN 1.3 spec examples and Camunda 7 (feel-scala) FEEL documentation
examples, with the value Camunda 7 gives.  Used by test_expressions_feel.py, both directly and
differentially against feelin (tests/feel/run_feelin.mjs reads these rows as JSON).

Row: id, kind ("unary" | "expression"), text, context, input (unary only), expected.
Unary rows expect whether the input entry matches (Camunda treats null as no match).
Typed values are written {"@date"|"@datetime"|"@time"|"@duration": "<ISO-8601>"} so the
table stays JSON for the node runner.
"""


def D(text):  # noqa: N802 - short table helpers
    return {"@date": text}


def DT(text):  # noqa: N802
    return {"@datetime": text}


def T(text):  # noqa: N802
    return {"@time": text}


def DUR(text):  # noqa: N802
    return {"@duration": text}


PEOPLE = {
    "mother": {"hukou_division": "620102", "age": 29, "name": "王芳"},
    "applicants": [{"name": "a", "age": 30}, {"name": "b", "age": 31}],
    "a": {"b": {"c": 42}},
}

_UNARY = [
    # (text, input, context, expected match) -- Camunda 7 docs "FEEL Language Elements" / DMN 1.3 10.3.2.9
    ('"Sales"', "Sales", {}, True),
    ('"Sales"', "Marketing", {}, False),
    ('"Sales", "Marketing"', "Marketing", {}, True),
    ('"gansu","guizhou"', "gansu", {}, True),
    ('"gansu","guizhou"', "beijing", {}, False),
    ('not("Sales")', "Marketing", {}, True),
    ('not("Sales")', "Sales", {}, False),
    ('not("Sales", "Marketing")', "IT", {}, True),
    ("< 10", 5, {}, True),
    ("< 10", 10, {}, False),
    ("<= 10", 10, {}, True),
    ("> 10", 10.5, {}, True),
    (">= 10", 9.99, {}, False),
    ("< 10.5", 10.25, {}, True),
    ("[5..10]", 5, {}, True),
    ("[5..10]", 10, {}, True),
    ("]5..10]", 5, {}, False),
    ("[5..10[", 10, {}, False),
    ("(5..10)", 7, {}, True),
    ("(5..10)", 10, {}, False),
    ("]5..10[", 6, {}, True),
    ("[5..10)", 9, {}, True),
    ("-", "anything", {}, True),
    ("-", None, {}, True),
    ("not(< 10, > 20)", 15, {}, True),
    ("not(< 10, > 20)", 25, {}, False),
    ("not([1..5])", 6, {}, True),
    ("1, 2, 3", 2, {}, True),
    ("1, 2, 3", 4, {}, False),
    ("[1..5], > 10", 11, {}, True),
    ("true", True, {}, True),
    ("true", False, {}, False),
    ("false", False, {}, True),
    ("null", None, {}, True),
    ("null", 1, {}, False),
    ("not(null)", 1, {}, True),
    ("< 10", None, {}, False),
    ('"a"', 1, {}, False),
    ("5", "5", {}, False),
    ("> 100", "abc", {}, False),
    ('date("2015-11-30")', D("2015-11-30"), {}, True),
    ('< date("2015-11-30")', D("2015-11-29"), {}, True),
    ('[date("2015-11-30")..date("2015-12-31")]', D("2015-12-24"), {}, True),
    (']date("2026-01-01")..date("2026-12-31")]', D("2026-01-01"), {}, False),
    ('< date and time("2015-11-30T12:00:00")', DT("2015-11-30T11:59:59"), {}, True),
    ('> duration("P2D")', DUR("P3D"), {}, True),
    ('[duration("P1Y")..duration("P2Y")]', DUR("P18M"), {}, True),
    ("< x", 5, {"x": 10}, True),
    ("[x..y]", 2, {"x": 1, "y": 3}, True),
    ("x", "a", {"x": "a"}, True),
    ("x", "b", {"x": ["a", "b"]}, True),
    ("x", "c", {"x": ["a", "b"]}, False),
    ("? > 3", 4, {}, True),
    ("? > 3", 2, {}, False),
    ('starts with(?, "62")', "620102", {}, True),
    ("string length(?) = 6", "620102", {}, True),
    ("mother.hukou_division", "620102", PEOPLE, True),
    ("> mother.age", 30, PEOPLE, True),
]

_EXPRESSIONS = [
    # (text, context, expected) -- Camunda 7 / feel-scala docs and DMN 1.3 chapter 10 examples
    ("1 + 2", {}, 3),
    ("10 - 3.5", {}, 6.5),
    ("2 * 3", {}, 6),
    ("10 / 4", {}, 2.5),
    ("1 / 0", {}, None),
    ("2 ** 3", {}, 8),
    ("-5 + 2", {}, -3),
    ("0.1 + 0.2", {}, 0.3),
    ("(1 + 2) * 3", {}, 9),
    ("1 + 2 * 3", {}, 7),
    ('"foo" + "bar"', {}, "foobar"),
    ("1 + null", {}, None),
    ("x + 1", {"x": 41}, 42),
    ("x * 2", {"x": 1.25}, 2.5),
    ("1 = 1", {}, True),
    ("1 != 2", {}, True),
    ("1 < 2", {}, True),
    ('"a" < "b"', {}, True),
    ('1 = "1"', {}, None),
    ("null = null", {}, True),
    ("1 = null", {}, False),
    ("true and false", {}, False),
    ("true and null", {}, None),
    ("false and null", {}, False),
    ("true or null", {}, True),
    ("null or false", {}, None),
    ("not(true)", {}, False),
    ("not(null)", {}, None),
    ('if 5 > 3 then "yes" else "no"', {}, "yes"),
    ('if x < 5 then "low" else "high"', {"x": 7}, "high"),
    ("if null then 1 else 2", {}, 2),
    ("5 between 1 and 10", {}, True),
    ("11 between 1 and 10", {}, False),
    ("5 in [1..10]", {}, True),
    ("5 in (1, 5, 10)", {}, True),
    ("5 in < 10", {}, True),
    ('"b" in ["a", "b"]', {}, True),
    ("(x in [1..5]) and y", {"x": 3, "y": True}, True),
    ("[1, 2, 3]", {}, [1, 2, 3]),
    ('{a: 1, b: "x"}', {}, {"a": 1, "b": "x"}),
    ("mother.hukou_division", PEOPLE, "620102"),
    ("mother.name", PEOPLE, "王芳"),
    ("a.b.c", PEOPLE, 42),
    ("a.missing", PEOPLE, None),
    ("missing_variable", {}, None),
    ("applicants.name", PEOPLE, ["a", "b"]),
    ("count(applicants)", PEOPLE, 2),
    ("sum(applicants.age)", PEOPLE, 61),
    ('date("2026-10-01")', {}, D("2026-10-01")),
    ("date(2012, 12, 25)", {}, D("2012-12-25")),
    ('date(date and time("2012-12-25T12:00:00"))', {}, D("2012-12-25")),
    ('@"2026-10-01"', {}, D("2026-10-01")),
    ('date and time("2026-10-01T10:00:00")', {}, DT("2026-10-01T10:00:00")),
    ('date and time("2026-10-01T10:00:00Z")', {}, DT("2026-10-01T10:00:00Z")),
    ('date and time(date("2012-12-24"), time("23:59:00"))', {}, DT("2012-12-24T23:59:00")),
    ('time("23:59:00")', {}, T("23:59:00")),
    ('duration("P2DT20H14M")', {}, DUR("P2DT20H14M")),
    ('duration("P1Y2M")', {}, DUR("P1Y2M")),
    ('duration("P14M")', {}, DUR("P1Y2M")),
    ('years and months duration(date("2011-12-22"), date("2013-08-24"))', {}, DUR("P1Y8M")),
    ('date("2017-03-10") + duration("P1D")', {}, D("2017-03-11")),
    ('date("2026-01-31") + duration("P1M")', {}, D("2026-02-28")),
    ('date("2026-10-01") - date("2026-01-01")', {}, DUR("P273D")),
    ('date and time("2017-03-10T11:30:00") - duration("PT1H")', {}, DT("2017-03-10T10:30:00")),
    ('date and time("2026-10-01T10:00:00") - date and time("2026-10-01T08:30:00")', {}, DUR("PT1H30M")),
    ('duration("P1D") > duration("PT23H")', {}, True),
    ('date("2020-04-06") < date("2020-04-07")', {}, True),
    ('duration("P1D") + duration("PT12H")', {}, DUR("P1DT12H")),
    ('duration("P1Y") + duration("P6M")', {}, DUR("P1Y6M")),
    ('birth + duration("P30D")', {"birth": D("2026-09-15")}, D("2026-10-15")),
    ('date("2026-10-01").year', {}, 2026),
    ('string length("foo")', {}, 3),
    ('substring("foobar", 3)', {}, "obar"),
    ('substring("foobar", 3, 3)', {}, "oba"),
    ('substring("foobar", -2, 1)', {}, "a"),
    ('upper case("aBc4")', {}, "ABC4"),
    ('lower case("aBc4")', {}, "abc4"),
    ('substring before("foobar", "bar")', {}, "foo"),
    ('substring after("foobar", "ob")', {}, "ar"),
    ('contains("foobar", "of")', {}, False),
    ('starts with("foobar", "fo")', {}, True),
    ('ends with("foobar", "r")', {}, True),
    ('string join(["a", "b"], ", ")', {}, "a, b"),
    ("list contains([1, 2, 3], 2)", {}, True),
    ("count([1, 2, 3])", {}, 3),
    ("min([1, 2, 3])", {}, 1),
    ("max(1, 2, 3)", {}, 3),
    ("sum([1, 2, 3])", {}, 6),
    ("mean([1, 2, 3])", {}, 2),
    ("sum([])", {}, None),
    ("all([true, false])", {}, False),
    ("any([false, true])", {}, True),
    ("append([1], 2, 3)", {}, [1, 2, 3]),
    ("concatenate([1, 2], [3])", {}, [1, 2, 3]),
    ("reverse([1, 2, 3])", {}, [3, 2, 1]),
    ("index of([1, 2, 3, 2], 2)", {}, [2, 4]),
    ("distinct values([1, 2, 3, 2, 1])", {}, [1, 2, 3]),
    ("flatten([[1, 2], [[3]], 4])", {}, [1, 2, 3, 4]),
    ("abs(-10)", {}, 10),
    ("floor(1.5)", {}, 1),
    ("floor(-1.5)", {}, -2),
    ("ceiling(1.5)", {}, 2),
    ("ceiling(-1.5)", {}, -1),
    ("decimal(1/3, 2)", {}, 0.33),
    ("decimal(2.5, 0)", {}, 2),
    ("modulo(12, 5)", {}, 2),
    ("modulo(-12, 5)", {}, 3),
    ("sqrt(16)", {}, 4),
    ("odd(5)", {}, True),
    ('number("1500.5")', {}, 1500.5),
    ("string(1.1)", {}, "1.1"),
    ('string(date("2012-12-25"))', {}, "2012-12-25"),
    ('day of week(date("2019-09-17"))', {}, "Tuesday"),
    ('month of year(date("2019-09-17"))', {}, "September"),
]


def _rows():
    rows = []
    for i, (text, value, context, expected) in enumerate(_UNARY, 1):
        rows.append(
            {"id": f"u{i:03d}", "kind": "unary", "text": text, "context": context, "input": value, "expected": expected}
        )
    for i, (text, context, expected) in enumerate(_EXPRESSIONS, 1):
        rows.append({"id": f"e{i:03d}", "kind": "expression", "text": text, "context": context, "expected": expected})
    return rows


ROWS = _rows()

# Rows where feelin (the reference for the differential test) knowingly differs from
# Camunda 7 / feel-scala.  Keep this list very short; each entry says why.
FEELIN_EXCEPTIONS = {
    # DMN 1.3 spec example (10.3.4.3): the result is a years-and-months duration, P1Y8M, and
    # feel-scala returns P1Y8M; feelin 8.2.0 keeps the leftover days and prints "P1Y8M2D".
    'years and months duration(date("2011-12-22"), date("2013-08-24"))': (
        "feelin keeps the day remainder in a years-and-months duration"
    ),
}
