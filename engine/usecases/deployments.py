"""Deploying process files: check everything, then store a new version of each process in them.

A deployment carries over the files of the latest deployment that it does not replace (by file
name), so an analyst can redeploy one edited file. Its policy tables are dry-run on the sample applications
of ``workflows/samples/`` first (:mod:`engine.usecases.sample_dry_run`): a version that refuses or cannot
decide a sample the current version accepts is refused, unless forced -- and a forced deployment records
what it overrode. On first start the bundled ``workflows/`` files are deployed if nothing is.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ..clock import iso
from ..context import EngineContext
from ..definitions import fingerprint, parse_deployment
from ..errors import InvalidDeployment, NotFound
from ..persistence.models import ProcessDefinition
from .sample_dry_run import load_samples, regressions

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "workflows"
SAMPLES_DIR = BUNDLED_DIR / "samples"

log = logging.getLogger(__name__)


def bundled_files(directory: Path = BUNDLED_DIR) -> list[tuple[str, bytes]]:
    return [
        (path.name, path.read_bytes())
        for path in sorted(directory.iterdir())
        if path.suffix in (".bpmn", ".dmn")
    ]


def deploy(ctx: EngineContext, files: list[tuple[str, bytes]], who: str, *, force: bool = False,
           samples_dir: Path = SAMPLES_DIR) -> list[dict]:
    """Deploy ``files``; raises ``InvalidDeployment`` with every problem, storing nothing. ``force`` deploys
    even when the dry run on the samples finds a regression (recorded with the deployment)."""
    uploaded = dict(files)
    with ctx.uow() as uow:
        latest = max((d for d in uow.definitions.all()), key=lambda d: d.deployment_id, default=None)
        carried = (
            {f.filename: f.content for f in uow.definitions.files(latest.deployment_id)} if latest else {}
        )
        carried.update(uploaded)
        all_files = sorted(carried.items())
        parsed = parse_deployment(all_files, ctx.checks())
        overridden = []
        if latest is not None:
            samples, unreadable = load_samples(samples_dir)
            current = ctx.parsed(uow, latest).decisions
            found = unreadable + regressions(current, parsed.decisions, samples, ctx.calendar.current())
            if found and not force:
                raise InvalidDeployment(found)
            overridden = [problem.to_dict() for problem in found]
        now = ctx.clock.now()
        deployment = uow.definitions.add_deployment(all_files, who, now, forced_over=overridden)
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
    if overridden:
        log.warning("deployment %s by %s forced over %d dry-run finding(s)", deployment.id, who, len(overridden))
    ctx.specs.put(fingerprint((name, hashlib.sha256(content).hexdigest()) for name, content in all_files), parsed)
    return [definition_dict(d, overridden) for d in created]


def deploy_bundled_if_empty(ctx: EngineContext) -> list[dict]:
    with ctx.uow() as uow:
        if uow.definitions.count():
            return []
    return deploy(ctx, bundled_files(), "system")


def list_definitions(ctx: EngineContext) -> list[dict]:
    with ctx.reader() as uow:
        forced = {}
        found = []
        for definition in uow.definitions.all():
            if definition.deployment_id not in forced:
                forced[definition.deployment_id] = uow.definitions.deployment(definition.deployment_id).forced_over
            found.append(definition_dict(definition, forced[definition.deployment_id]))
        return found


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


def definition_dict(d: ProcessDefinition, forced_over: list[dict] | None = None) -> dict:
    return {
        "id": d.id,
        "key": d.key,
        "version": d.version,
        "name": d.name,
        "deployed_at": iso(d.deployed_at),
        "deployed_by": d.deployed_by,
        "forced_over": forced_over or [],
    }
