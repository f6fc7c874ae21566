"""The engine and the API know no service by name (issue 21): nothing under ``engine/`` or ``api/`` -- code,
strings or page templates -- names an installed service, one of its modules, or the keys of its data; the
engine imports nothing of ``forms/``; two services claiming one code are refused at start-up.

What a service calls its things is read off the service itself (its name, process keys, groups, materials,
items, and every field of its start form), so a service added later is covered as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from marshmallow import fields

from engine.service import Departments, DuplicateCode, Service, Services, installed_services
from handlers.newborn.service import NEWBORN
from tests.second_service import SECOND

ROOT = Path(__file__).resolve().parents[1]
# words of the engine's own vocabulary that a service's form also happens to use
GENERIC = frozenset(
    {
        "name",
        "phone",
        "status",
        "region",
        "items",
        "channel",
        "year",
        "applicant",
        "address",
        "city",
        "province",
        "county",
        "township",
        "relationship",
        "delivery",
        "bank",
        "sex",
        "id_type",
        "id_number",
        "institution",
        "surname",
        "nationality",
        "request",
        "division_code",
        "certificate_number",
        "follows",
        "mode",
        "key",
        "health",
    }
)


def service_words(service: Service) -> set[str]:
    """What a service calls its things: its name, modules, processes, codes and form fields."""
    words = {
        service.name,
        *service.process_keys,
        *service.departments.groups,
        *service.departments.materials,
        *service.departments.items,
        *(form.key for form in service.task_forms),
    }
    schema = service.start_form.schema

    def walk(found):
        for name, field in found.fields.items():
            words.add(field.data_key or name)
            if isinstance(field, fields.Nested):
                walk(field.schema)

    if schema is not None:
        walk(schema())
    return {word for word in words if word not in GENERIC}


def newborn_words() -> set[str]:
    return service_words(NEWBORN) | {"chosen", "newborn"}


def source_words(path: Path) -> list[tuple[int, str]]:
    """(line, word) of every identifier and every string that is not a docstring, in a Python module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        texts = []
        if isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts = [node.name]
        elif isinstance(node, ast.arg):
            texts = [node.arg]
        elif isinstance(node, ast.alias):
            texts = node.name.split(".")
        elif isinstance(node, ast.ImportFrom) and node.module:
            texts = node.module.split(".")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            texts = [node.value]
        for text in texts:
            found.extend((getattr(node, "lineno", 0), word) for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return found


def template_words(path: Path) -> list[tuple[int, str]]:
    return [
        (number, word)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line)
    ]


def named(words: set[str]) -> list[str]:
    found = []
    for package in ("engine", "api"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix == ".py" and "versions" not in path.parts:
                pairs = source_words(path)
            elif path.suffix == ".html":
                pairs = template_words(path)
            else:
                continue
            found += [f"{path.relative_to(ROOT)}:{line}: {word}" for line, word in pairs if word in words]
    return found


def test_nothing_under_engine_or_api_names_the_newborn_service():
    words = newborn_words()
    assert {"newborn", "mother", "chosen", "hukou", "midwifery", "newborn_birth", "birth_certificate_review"} <= words
    assert named(words) == []


def test_nor_the_second_service():
    assert named(service_words(SECOND)) == []


def test_the_check_finds_a_planted_name(tmp_path, monkeypatch):
    planted = tmp_path / "engine" / "planted.py"
    planted.parent.mkdir()
    planted.write_text('"""Docstrings may mention the mother."""\nKEYS = ("application", "chosen")\n', encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert named(newborn_words()) == ["engine/planted.py:2: chosen"]


def test_the_engine_imports_nothing_of_forms():
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            offenders += [f"{path.relative_to(ROOT)}: {m}" for m in modules if m.split(".")[0] == "forms"]
    assert offenders == []


def test_two_services_claiming_one_group_are_refused_with_both_names():
    from dataclasses import replace

    clash = replace(
        SECOND,
        name="clash",
        process_keys=frozenset({"clash_process"}),
        task_forms=(),
        departments=Departments(groups={"police": "另一个公安"}),
    )
    with pytest.raises(DuplicateCode, match=r"group 'police' is claimed by the services newborn and clash"):
        Services([NEWBORN, clash])


@pytest.mark.parametrize("part", ["materials", "items"])
def test_a_clashing_material_or_item_is_refused_too(part):
    from dataclasses import replace

    code = next(iter(getattr(NEWBORN.departments, part)))
    clash = replace(
        SECOND,
        name="clash",
        process_keys=frozenset({"clash_process"}),
        task_forms=(),
        departments=Departments(groups={"clash_group": "某部门"}, **{part: {code: "重名"}}),
    )
    with pytest.raises(DuplicateCode, match=f"{part[:-1]} '{code}' is claimed by the services newborn and clash"):
        Services([NEWBORN, clash])


def test_a_form_key_or_process_claimed_twice_is_refused():
    from dataclasses import replace

    from engine.forms import DuplicateForm

    twin = replace(SECOND, name="twin", departments=Departments(groups={"twin_group": "某部门"}))
    with pytest.raises(
        DuplicateCode, match="process 'residence_certificate' is claimed by the services residence and twin"
    ):
        Services([SECOND, twin])
    forms_only = replace(twin, process_keys=frozenset({"twin_process"}))
    with pytest.raises(DuplicateForm, match="'community_review' is registered by residence and twin"):
        Services([SECOND, forms_only])


def test_the_installed_services_agree():
    Services(installed_services())
