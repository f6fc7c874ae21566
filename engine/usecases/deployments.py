"""Deploying process files: check everything, then store a new version of each process in them.

A deployment carries over the files of the latest deployment that it does not replace (by file
name), so an analyst can redeploy one edited file. On first start the bundled ``workflows/`` files are
deployed if nothing is.
"""

from __future__ import annotations

from pathlib import Path

from ..clock import iso
from ..context import EngineContext
from ..definitions import parse_deployment
from ..errors import NotFound
from ..persistence.models import ProcessDefinition

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "workflows"


def bundled_files(directory: Path = BUNDLED_DIR) -> list[tuple[str, bytes]]:
    return [
        (path.name, path.read_bytes())
        for path in sorted(directory.iterdir())
        if path.suffix in (".bpmn", ".dmn")
    ]


def deploy(ctx: EngineContext, files: list[tuple[str, bytes]], who: str) -> list[dict]:
    """Deploy ``files``; raises ``InvalidDeployment`` with every problem, storing nothing."""
    uploaded = dict(files)
    with ctx.uow() as uow:
        latest = max((d for d in uow.definitions.all()), key=lambda d: d.deployment_id, default=None)
        carried = (
            {f.filename: f.content for f in uow.definitions.files(latest.deployment_id)} if latest else {}
        )
        carried.update(uploaded)
        all_files = sorted(carried.items())
        parsed = parse_deployment(all_files, ctx.checks())
        now = ctx.clock.now()
        deployment = uow.definitions.add_deployment(all_files, who, now)
        created = []
        for key in sorted(parsed.specs):
            previous = uow.definitions.latest(key)
            definition = ProcessDefinition(
                key=key,
                version=(previous.version + 1) if previous else 1,
                name=parsed.names[key],
                filename=parsed.files[key],
                deployment_id=deployment.id,
                deployed_at=now,
                deployed_by=who,
            )
            uow.definitions.add(definition)
            created.append(definition)
        uow.commit()
    ctx.specs.put(deployment.id, parsed)
    return [definition_dict(d) for d in created]


def deploy_bundled_if_empty(ctx: EngineContext) -> list[dict]:
    with ctx.uow() as uow:
        if uow.definitions.count():
            return []
    return deploy(ctx, bundled_files(), "system")


def list_definitions(ctx: EngineContext) -> list[dict]:
    with ctx.reader() as uow:
        return [definition_dict(d) for d in uow.definitions.all()]


def definition_xml(ctx: EngineContext, key: str, version: int | None) -> tuple[str, bytes]:
    """The deployed file of a process version, byte for byte."""
    with ctx.reader() as uow:
        definition = uow.definitions.by_version(key, version) if version else uow.definitions.latest(key)
        if definition is None:
            raise NotFound(f"process definition {key!r} version {version or 'latest'} not found")
        return definition_file(uow, definition)


def definition_file(uow, definition: ProcessDefinition) -> tuple[str, bytes]:
    """(file name, bytes) of the BPMN file a process version was deployed from."""
    for f in uow.definitions.files(definition.deployment_id):
        if f.filename == definition.filename:
            return f.filename, f.content
    raise NotFound("deployed file not found")


def definition_dict(d: ProcessDefinition) -> dict:
    return {
        "id": d.id,
        "key": d.key,
        "version": d.version,
        "name": d.name,
        "deployed_at": iso(d.deployed_at),
        "deployed_by": d.deployed_by,
    }
