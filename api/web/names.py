"""How the engine's and the services' codes read on the pages (a person never reads a code): roles, groups
(departments) and jurisdictions (division codes, by the services' division names), as template filters."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g

from engine.usecases.accounts import roles_by_name

from .pages import blp, context

ROLE_NAMES = {"portal": "门户系统", "clerk": "办事人员", "analyst": "流程分析人员", "supervisor": "监督人员",
              "admin": "管理员"}


def role_name(code: str) -> str:
    return ROLE_NAMES.get(code, "未知角色")


def group_name(code: str) -> str:
    return context().services.groups.get(code) or "未知部门"


def division_name(code: str | None) -> str:
    """A division code (or a jurisdiction's prefix) in words; an unknown one says it is a division code."""
    if not code:
        return "—"
    return context().services.division_name(code) or f"行政区划{code}"


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


@blp.app_template_filter("division")
def division_filter(code: str | None) -> str:
    return division_name(code)


@blp.app_template_filter("divisions")
def divisions_filter(codes: Iterable[str]) -> str:
    return _joined(division_name(c) for c in codes)


SYSTEM = "system"  # the engine's own steps (service tasks, timers, the calendar's recount)
ACTOR_ROLES = ("portal", "analyst")  # accounts of systems and analysts: named with what they are


def actor_name(name: str | None) -> str:
    """Who did something: 系统 for the engine, a portal's or analyst's account with what it is, a person by
    name."""
    if not name:
        return "—"
    if name == SYSTEM:
        return "系统"
    if "actor_roles" not in g:
        g.actor_roles = roles_by_name(context())
    roles = g.actor_roles.get(name, [])
    for role in ACTOR_ROLES:
        if role in roles and not set(roles) & {"clerk", "supervisor", "admin"}:
            return f"{ROLE_NAMES[role]}（{name}）"
    return name


@blp.app_template_filter("actor")
def actor_filter(name: str | None) -> str:
    return actor_name(name)
