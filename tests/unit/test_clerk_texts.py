"""Naming divisions (GB/T 2260, from python-stdnum's table), reading a typed query as the newborn service's
search keys, and grouping an application's history into lines a person reads (issue 22)."""

from __future__ import annotations

from datetime import datetime

from api.web.timeline import timeline
from engine.calendar.chinese import BEIJING
from engine.divisions import division_name, division_text, divisions_within
from engine.search import SearchDigests
from handlers.newborn.samples import sample_application
from handlers.newborn.search import NewbornSearch, name_key, start_keys


def test_divisions_are_named_by_province_prefecture_and_county():
    assert division_name("620102") == "甘肃省兰州市城关区"
    assert division_name("6201") == "甘肃省兰州市"
    assert division_name("62") == "甘肃省"
    assert division_name("520102") == "贵州省贵阳市南明区"
    assert division_name("110101") == "北京市东城区"  # a municipality: no 市辖区 in between
    assert division_name("440305") == "广东省深圳市南山区"  # a code renamed: its current name
    assert division_name("659001") == "新疆维吾尔自治区石河子市"  # directly under the region
    assert division_name("999999") is None and division_name("62x") is None and division_name("") is None
    assert division_text("999999") == "行政区划999999" and division_text(None) == "—"
    assert division_name("620100") == division_name("620000")[:3] + "兰州市"  # a prefecture's own code
    assert division_name("620102001") == "甘肃省兰州市城关区（620102001）"  # a township: its county, its code


def test_a_jurisdiction_lists_the_divisions_in_use_inside_it():
    gansu = dict(divisions_within(["62"]))
    assert gansu["62"] == "甘肃省" and gansu["6201"] == "甘肃省兰州市" and gansu["620102"] == "甘肃省兰州市城关区"
    assert not any(name.endswith("市辖区") for name in gansu.values()) and "620101" not in gansu
    counties = [code for code in gansu if len(code) == 6]
    assert len(counties) > 80 and all(code[:4] in gansu for code in counties)  # each in a named prefecture
    assert divisions_within(["620102"]) == [("620102", "甘肃省兰州市城关区")]
    both = dict(divisions_within(["52", "6201"]))
    assert "5227" in both and "6202" not in both and "62" not in both
    assert divisions_within([]) == [] and divisions_within(["x"]) == []


def test_a_query_is_read_as_every_kind_it_may_be():
    search = NewbornSearch()
    assert search.read_query("62010219920315002x") == (("id_number", "62010219920315002X"),)
    assert ("phone", "13800000001") in search.read_query("+86 138-0000-0001")
    assert search.read_query("李 安然") == (("name", "李安然"),)
    assert search.read_query("Anna  Li") == (("name", "annali"),)
    assert name_key("Anna·Li") == name_key("anna li")


def test_an_application_gives_its_parents_child_and_applicant_as_keys():
    application = sample_application(datetime(2026, 11, 25, 10, tzinfo=BEIJING))
    keys = start_keys(application)
    assert ("id_number", application["mother"]["id_number"]) in keys
    assert ("id_number", application["father"]["id_number"]) in keys
    assert ("name", "李安然") in keys and ("name", "王芳") in keys and ("phone", "13800000001") in keys
    assert len(keys) == len(set(keys))


def test_digests_are_keyed():
    one, other = SearchDigests(b"one key"), SearchDigests(b"another key")
    assert one.digest("phone", "13800000001") != other.digest("phone", "13800000001")
    assert one.digest("phone", "13800000001") != one.digest("name", "13800000001")
    assert "13800000001" not in one.digest("phone", "13800000001")


def _event(at, actor, kind, **more):
    return {
        "at": f"2026-11-25T{at}:00+08:00",
        "actor": actor,
        "kind": kind,
        "detail": more.pop("detail", {}),
        "activity_name": None,
        "reason": None,
        **more,
    }


def test_reads_of_one_sitting_are_one_line_naming_the_materials():
    history = [
        _event("10:00", "portal-1", "instance_started"),
        _event("10:01", "portal-1", "material_uploaded", detail={"code": "marriage_certificate"}),
        _event("10:05", "mw-1", "personal_data_read"),
        _event("10:05", "mw-1", "material_read", detail={"code": "marriage_certificate"}),
        _event("10:06", "mw-1", "task_claimed"),
        _event("10:07", "mw-1", "personal_data_read"),
        _event("10:07", "mw-1", "material_read", detail={"code": "parent_id_cards"}),
        _event("11:30", "mw-1", "personal_data_read"),  # a new sitting: its own line
    ]
    lines = timeline(history, {"marriage_certificate": "结婚证", "parent_id_cards": "父母身份证"})
    assert [(line["event"], line["what"], line["count"]) for line in lines] == [
        ("提交申请", "", 1),
        ("上传材料", "结婚证", 1),
        ("查看个人信息、查看材料", "结婚证、父母身份证", 4),
        ("认领", "", 1),
        ("查看个人信息", "", 1),
    ]
