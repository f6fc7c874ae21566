"""How the engine's and the services' codes read on the pages (a person never reads a code): roles, groups
(departments) and jurisdictions (division codes, by their GB/T 2260 names), as template filters; the
actors of a history and single divisions are :mod:`api.web.pages`' filters."""

from __future__ import annotations

from collections.abc import Iterable

from engine.divisions import division_text

from .pages import blp, context

ROLE_NAMES = {
    "portal": "门户系统",
    "clerk": "办事人员",
    "analyst": "流程分析人员",
    "supervisor": "监督人员",
    "admin": "管理员",
    "worker": "部门业务系统",
}


def role_name(code: str) -> str:
    return ROLE_NAMES.get(code, "未知角色")


def group_name(code: str) -> str:
    return context().services.groups.get(code) or "未知部门"


def division_name(code: str | None) -> str:
    """A division code (or a jurisdiction's prefix) in words; an unknown one says it is a division code."""
    return division_text(code)


def _joined(names: Iterable[str]) -> str:
    return "、".join(names) or "—"


@blp.app_template_filter("role")
def role_filter(code: str) -> str:
    return role_name(code)


@blp.app_template_filter("roles")
def roles_filter(codes: Iterable[str]) -> str:
    return _joined(role_name(c) for c in codes)


@blp.app_template_filter("group")
def group_filter(code: str) -> str:
    return group_name(code)


@blp.app_template_filter("groups")
def groups_filter(codes: Iterable[str]) -> str:
    return _joined(group_name(c) for c in codes)


@blp.app_template_filter("divisions")
def divisions_filter(codes: Iterable[str]) -> str:
    return _joined(division_name(c) for c in codes)
