"""The direction of imports (issue 14), read from the source of every production module with ``ast``
(imports inside functions count too):

* api → use cases → engine parts → persistence: only the entry points (``api``, ``engine.cli``,
  ``engine.bootstrap``) and the worker import the use cases; no engine part imports them;
* the engine imports no service (``handlers.<service>``, ``forms.<service>``): it finds services through
  ``engine.service``; a service imports no ``api``;
* leaves -- ``engine.errors``, ``engine.clock``, ``engine.safexml``, ``engine.safejson``, ``engine.expressions``,
  ``engine.calendar`` -- import nothing of the project above them;
* ``engine.dmn`` and ``engine.bpmn`` know nothing of each other (``engine.business_rules`` joins them);
* ``engine.persistence`` is the bottom of the engine: it imports only itself and the leaves, and it is the
  only package that imports SQLAlchemy or Alembic;
* Flask and its extensions only under ``api``; nothing of the engine, the handlers or the forms imports
  ``api``;
* no import cycles between packages.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "handlers", "forms", "api")
LEAVES = ("engine.errors", "engine.clock", "engine.safexml", "engine.safejson", "engine.expressions", "engine.calendar")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def production_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, relative imports resolved (inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


MODULES = production_modules()
IMPORTS = {name: imports_of(name, path) for name, path in MODULES.items()}


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def project_imports(name: str) -> set[str]:
    return {m for m in IMPORTS[name] if any(within(m, p) for p in PACKAGES) and m in MODULES}


def offenders(rule) -> list[str]:
    return sorted(f"{name} imports {target}" for name in MODULES for target in IMPORTS[name] if rule(name, target))


def test_the_walk_sees_every_package():
    assert {
        "engine.context",
        "engine.calendar.workdays",
        "api.calendar",
        "handlers.newborn.police",
        "forms.fields",
        "forms.newborn.application",
        "engine.cli",
    } <= set(MODULES)
    assert "engine.calendar.notice" in IMPORTS["engine.calendar"]


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaves_import_nothing_above_them(leaf):
    allowed = (leaf, "engine.errors", "engine.clock")
    assert (
        offenders(
            lambda name, target: (
                within(name, leaf)
                and any(within(target, p) for p in PACKAGES)
                and target in MODULES
                and not any(within(target, a) for a in allowed)
            )
        )
        == []
    )


def test_dmn_and_bpmn_know_nothing_of_each_other():
    """``engine.business_rules`` joins them (the business rule task)."""
    assert offenders(lambda name, target: within(name, "engine.dmn") and within(target, "engine.bpmn")) == []
    assert offenders(lambda name, target: within(name, "engine.bpmn") and within(target, "engine.dmn")) == []


def test_persistence_is_the_bottom_of_the_engine():
    assert (
        offenders(
            lambda name, target: (
                within(name, "engine.persistence")
                and target in MODULES
                and not within(target, "engine.persistence")
                and target not in ("engine.errors",)
            )
        )
        == []
    )


def test_only_persistence_speaks_sql():
    assert (
        offenders(
            lambda name, target: (
                target.split(".")[0] in ("sqlalchemy", "alembic") and not within(name, "engine.persistence")
            )
        )
        == []
    )


def test_only_the_api_speaks_http():
    assert (
        offenders(
            lambda name, target: (
                target.split(".")[0] in ("flask", "flask_smorest", "werkzeug", "waitress") and not within(name, "api")
            )
        )
        == []
    )
    assert offenders(lambda name, target: within(target, "api") and not within(name, "api")) == []


SERVICE_PACKAGES = ("handlers", "forms.newborn")  # every package under handlers/ is a service's
ENTRY_POINTS = ("api", "engine.cli", "engine.bootstrap", "engine.worker")


def is_service(module: str) -> bool:
    return within(module, "handlers") or (
        module.startswith("forms.")
        and module.split(".")[1] in {p.name for p in (ROOT / "forms").iterdir() if p.is_dir()}
    )


def test_the_engine_imports_no_service():
    assert offenders(lambda name, target: within(name, "engine") and target in MODULES and is_service(target)) == []
    assert (
        is_service("handlers.newborn.police") and is_service("forms.newborn.items") and not is_service("forms.fields")
    )


def test_only_entry_points_use_the_use_cases():
    assert (
        offenders(
            lambda name, target: (
                within(target, "engine.usecases")
                and target in MODULES
                and not within(name, "engine.usecases")
                and not any(within(name, e) for e in ENTRY_POINTS)
            )
        )
        == []
    )


def test_services_import_no_entry_point():
    assert (
        offenders(
            lambda name, target: (
                is_service(name)
                and target in MODULES
                and any(within(target, e) for e in ENTRY_POINTS + ("engine.usecases",))
            )
        )
        == []
    )


def unit(module: str) -> str:
    """What cycles are looked for between: a subpackage of the engine, a top-level module of the engine,
    or a top-level package."""
    parts = module.split(".")
    if parts[0] != "engine" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:2])


def test_no_cycles_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for name in MODULES:
        for target in project_imports(name):
            if unit(target) != unit(name):
                graph[unit(name)].add(unit(target))
    cycles = set()

    def visit(node, path):
        for nxt in graph[node]:
            if nxt in path:
                cycles.add(" → ".join(path[path.index(nxt) :] + [nxt]))
            elif len(path) < 15:
                visit(nxt, path + [nxt])

    for start in list(graph):
        visit(start, [start])
    assert sorted(cycles) == []


def test_the_worker_command_loads_no_web_framework():
    """``onething worker`` (and the other built-in commands) never import Flask."""
    import subprocess
    import sys

    script = (
        "import sys, engine.cli, engine.worker, engine.bootstrap; engine.cli.parser(['worker']); "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'api')], "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'api'))"
    )
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr[-2000:]
