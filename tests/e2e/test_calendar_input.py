"""Calendar input an operator (or an attacker with an admin's token) gives (issue 19, finding 6): a notice that
leaves a year fewer than 200 working days is refused with the count; control, format and direction characters
are refused in every text of a notice; ``onething calendar import`` reports a bad file in one line, never a
traceback. And the ``.well-known`` answer Camunda Modeler reads names the configured public URL, never the
request's ``Host``."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta

import pytest

from api import create_app
from engine.calendar.grid import render_year
from engine.calendar.notice import InvalidNotice, parse_notice
from engine.cli import main
from tests.support.calendars import NOTICE_2027

NOTICE = json.loads(NOTICE_2027.read_text(encoding="utf-8"))
WELL_KNOWN = "/.well-known/camunda-automation-platform/webapps"


def weeks_off(count: int) -> dict:
    """The 2027 notice with ``count`` whole weeks off (Monday to Sunday, five working days each) from 1 February."""
    first = date(2027, 2, 1)
    blocks = [
        {"name": f"第{n + 1}周", "days": [(first + timedelta(days=7 * n + d)).isoformat() for d in range(7)]}
        for n in range(count)
    ]
    return {**NOTICE, "holidays": blocks, "workdays": []}


def test_a_year_keeps_at_least_200_working_days():
    assert len(parse_notice(weeks_off(12)).days_off) == 84  # 261 - 60 = 201 working days: a notice
    with pytest.raises(InvalidNotice) as refused:
        parse_notice(weeks_off(13))  # 196
    assert refused.value.problems == [
        "2027年按此通知只有196个工作日（至少应有200个）：放假的日子过多，不像国务院的放假安排，请核对文件"
    ]


def test_a_notice_with_every_day_off_is_refused_with_the_count(api):
    every_month = [{"name": f"{m}月", "days": [d.isoformat() for d in _month(2027, m)]} for m in range(1, 13)]
    response = api.call("PUT", "/api/calendar/2027", "admin", json={**NOTICE, "holidays": every_month, "workdays": []})
    assert response.status_code == 422 and "只有0个工作日" in response.get_json()["detail"]
    assert api.get("/api/calendar/2027", "portal").get_json()["status"] == "provisional"


def _month(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    return [first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).month == month]


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\u202e", "\u200b", "\u2028", "\ue000", "\n"])
@pytest.mark.parametrize("field", ["title", "number", "holiday"])
def test_control_format_and_direction_characters_are_refused_in_every_text(api, char, field):
    notice = json.loads(json.dumps(NOTICE))
    if field == "holiday":
        notice["holidays"][0]["name"] = f"元{char}旦"
    else:
        notice["source"][field] = notice["source"][field] + f"{char}附"
    response = api.call("PUT", "/api/calendar/2027", "admin", json=notice)
    assert response.status_code == 422
    detail = response.get_json()["detail"]
    assert f"U+{ord(char):04X}" in detail and "不能载入" in detail
    assert char not in detail
    assert api.get("/api/calendar/2027", "portal").get_json()["status"] == "provisional"


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"year": ' * 20_000 + "1" + "}" * 20_000, ["nested deeper than 64 levels"]),  # a RecursionError before
        ("[" * 5000, ["nested deeper than 64 levels"]),
        ("{", ["not JSON"]),
        ('{"year": ' + "9" * 5000 + "}", ["characters (at most 40)"]),
        (json.dumps({**NOTICE, "source": {**NOTICE["source"], "title": "通知\x1b[2J"}}), ["U+001B", "nothing changed"]),
        (
            json.dumps({**NOTICE, "workdays": ["2027-01-06"], "holidays": [{"name": "x", "days": ["2027-13-01"]}]}),
            ["nothing changed", "Wednesday", "2027-13-01"],
        ),
    ],
)
def test_the_import_command_reports_a_bad_file_in_one_line(api, database_url, monkeypatch, tmp_path, content, words):
    monkeypatch.setenv("DATABASE_URL", database_url)
    bad = tmp_path / "2027.json"
    bad.write_text(content, encoding="utf-8")
    code, out, err = run_cli("calendar", "import", str(bad))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {bad}: ") and "Traceback" not in err
    assert "\x1b" not in err and all(word in err for word in words), err
    code, _, err = run_cli("calendar", "import", str(bad.with_suffix(".missing")))
    assert code == 2 and err.count("\n") == 1


def test_a_year_stored_with_such_characters_is_shown_without_them():
    view = {
        "year": 2027,
        "status": "official",
        "working_days": 249,
        "workdays": [],
        "holidays": [{"name": "元\u202e旦", "days": ["2027-01-01"]}],
        "source": {
            "title": "通知\x1b[2J\x07",
            "number": "〔2026〕\u202e1号",
            "loaded_at": "2026-12-01",
            "loaded_by": "op\x1b",
            "origin": "import",
        },
    }
    text = render_year(view)
    assert not {"\x1b", "\x07", "\u202e"} & set(text)
    assert "通知<U+001B>[2J<U+0007>" in text and "元<U+202E>旦" in text


def test_the_well_known_answer_never_echoes_the_host_header(app):
    client = app.test_client()
    urls = client.get(WELL_KNOWN, headers={"Host": "evil.example"}).get_json()
    assert urls == {"adminUrl": "/admin", "cockpitUrl": "/cockpit/", "tasklistUrl": "/tasks"}
    assert "evil" not in client.get("/engine-rest/version", headers={"Host": "evil.example"}).get_data(as_text=True)


def test_the_well_known_answer_names_the_configured_public_url(ctx, monkeypatch, api):
    monkeypatch.setenv("ONETHING_PUBLIC_URL", "https://yjs.example.gov.cn/onething/")
    client = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx).test_client()
    urls = client.get(WELL_KNOWN, headers={"Host": "evil.example"}).get_json()
    assert urls == {
        "adminUrl": "https://yjs.example.gov.cn/onething/admin",
        "cockpitUrl": "https://yjs.example.gov.cn/onething/cockpit/",
        "tasklistUrl": "https://yjs.example.gov.cn/onething/tasks",
    }
    listed = client.get(
        "/engine-rest/deployment", headers={"Host": "evil.example", "Authorization": f"Bearer {api.tokens['analyst']}"}
    )
    assert listed.get_json()[0]["links"][0]["href"] == "https://yjs.example.gov.cn/onething/engine-rest/deployment/1"


@pytest.mark.parametrize(
    "value",
    [
        "yjs.example.gov.cn",
        "ftp://yjs.example.gov.cn",
        "https://",
        "https://u:p@h",
        "https://h/?q=1",
        "javascript:alert(1)",
    ],
)
def test_a_public_url_that_is_no_address_stops_the_start(ctx, monkeypatch, value):
    from api.public_url import BadPublicUrl

    monkeypatch.setenv("ONETHING_PUBLIC_URL", value)
    with pytest.raises(BadPublicUrl, match="ONETHING_PUBLIC_URL"):
        create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx)
