"""The bench's profile (issue 26: a MISSED line says what the profile says limits it): py-spy's samples put
down to the library of their innermost frame."""

from __future__ import annotations

import pytest

from bench import profile


@pytest.mark.parametrize(
    "frame, library",
    [
        ("Session.execute (sqlalchemy/orm/session.py:2306)", "SQLAlchemy"),
        ("DefaultDialect.do_execute (sqlalchemy/engine/default.py:924)", "database driver calls"),
        ("Task.run (SpiffWorkflow/task.py:120)", "SpiffWorkflow"),
        ("Flask.wsgi_app (flask/app.py:1511)", "web stack"),
        ("HTTPRequestParser.parse_header (waitress/parser.py:210)", "web stack"),
        ("Schema._serialize (marshmallow/schema.py:500)", "web stack"),
        ("diff (engine/bpmn/data_patch.py:87)", "our engine"),
        ("view_answer (api/push.py:45)", "our API"),
        ("run (handlers/newborn/common.py:90)", "our handlers"),
        ("JSONEncoder.iterencode (json/encoder.py:205)", "JSON"),
        ("Condition.wait (threading.py:320)", "threads, sockets, HTTP"),
        ("uuid4 (uuid.py:723)", "Python's library"),
        ("_find_and_load (<frozen importlib._bootstrap>:1176)", "Python's library"),
        ("compress (/usr/lib/python3/dist-packages/zstd/x.py:1)", "zstd"),
        ("hash (/venv/lib/python3.11/site-packages/argon2/low_level.py:70)", "argon2"),
    ],
)
def test_a_frame_is_put_down_to_its_library(frame, library):
    assert profile.library_of(frame) == library


def test_shares_count_each_stack_for_its_innermost_frame(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "main (a.py:1);Session.execute (sqlalchemy/orm/session.py:1) 6\n"
        "main (a.py:1);view (api/push.py:3);dumps (json/__init__.py:2) 3\n"
        "main (a.py:1);view (api/push.py:3) 1\n"
        "garbage line without a count\n"
    )
    assert profile.shares(raw) == {"SQLAlchemy": 0.6, "JSON": 0.3, "our API": 0.1}
    assert list(profile.shares(raw)) == ["SQLAlchemy", "JSON", "our API"]  # largest first


def test_no_samples_no_shares(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("")
    assert profile.shares(raw) == {}
    assert profile.Profile().line("api") == ""


def test_without_py_spy_the_bench_says_so_and_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(profile, "py_spy", lambda: None)
    said = []
    with profile.sampled({"api": [1]}, tmp_path, said.append) as found:
        pass
    assert found.by_kind == {} and "py-spy is not installed" in found.note and said == [f"  {found.note}"]
