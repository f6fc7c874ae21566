"""engine.service.Section.as_dict: what dataclasses.asdict gives (the task and incident views' sections), written
out for speed -- a field added to Section or Row and not to as_dict fails here."""

from __future__ import annotations

from dataclasses import asdict

from engine.service import Row, Section


def test_as_dict_is_asdict():
    sections = (
        Section("申请概况", (Row("地区", "甘肃省"), Row("申请渠道", "网上申请"))),
        Section("空", ()),
    )
    for section in sections:
        assert section.as_dict() == asdict(section)
        assert type(section.as_dict()["rows"]) is tuple
