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
from ..definitions import BPMN_NS, fingerprint, parse_deployment
from ..errors import InvalidDeployment, NotFound, Problem
from ..safexml import UnsafeXml, parse_xml
from ..service import Service
from ..persistence.models import ProcessDefinition
from .sample_dry_run import load_samples, regressions


log = logging.getLogger(__name__)


def bundled_files(directory: Path) -> list[tuple[str, bytes]]:
    """A service's process files (its ``workflows`` folder's .bpmn and .dmn)."""
    return [
        (path.name, path.read_bytes())
        for path in sorted(directory.iterdir())
        if path.suffix in (".bpmn", ".dmn")
    ]


def _process_keys(files: list[tuple[str, bytes]]) -> set[str]:
    """The executable processes of the uploaded BPMN files (unreadable files are left to the checks)."""
    keys = set()
    for name, content in files:
        if not name.lower().endswith(".bpmn"):
            continue
        try:
            root = parse_xml(content)
        except UnsafeXml:
            continue
        keys.update(p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")
                    if p.get("isExecutable", "true") == "true" and p.get("id"))
    return keys


def _latest_of(uow, ctx: EngineContext, files: list[tuple[str, bytes]], service: Service | None):
    """The service the upload belongs to and its latest deployed process version (files not uploaded are
    carried over from that one): named by the upload's processes, else by a file of the same name."""
    definitions = uow.definitions.all()
    if service is None:
        keys = _process_keys(files)
        if keys:
            owners = {ctx.services.for_process(key) for key in keys}
            if len(owners) > 1:
                raise InvalidDeployment([Problem(file=files[0][0], message="the files belong to several services: "
                                                 "deploy each service's files on their own")])
            service = owners.pop()
        else:  # decision tables only: the service whose latest deployment has a file of that name
            names = {name for name, _ in files}
            for definition in sorted(definitions, key=lambda d: -d.deployment_id):
                if names & {name for name, _ in uow.definitions.file_digests(definition.deployment_id)}:
                    service = ctx.services.for_process(definition.key)
                    break
    if service is None:
        return None, None
    own = [d for d in definitions if d.key in service.process_keys]
    return service, max(own, key=lambda d: d.deployment_id, default=None)


def deploy(ctx: EngineContext, files: list[tuple[str, bytes]], who: str, *, force: bool = False,
           service: Service | None = None) -> list[dict]:
    """Deploy ``files`` as new versions of a service's processes; raises ``InvalidDeployment`` with every
    problem, storing nothing. ``force`` deploys even when the dry run on the service's samples finds a
    regression (recorded with the deployment). The new versions."""
    return deploy_resources(ctx, files, who, force=force, service=service)["definitions"]


def _unchanged(uow, latest, files: list[tuple[str, bytes]]) -> bool:
    """Every uploaded file is byte for byte the latest deployment's file of that name."""
    if latest is None:
        return False
    deployed = dict(uow.definitions.file_digests(latest.deployment_id))
    return all(deployed.get(name) == hashlib.sha256(content).hexdigest() for name, content in files)


def deploy_resources(ctx: EngineContext, files: list[tuple[str, bytes]], who: str, *, force: bool = False,
                     service: Service | None = None, name: str | None = None, source: str | None = None,
                     filter_duplicates: bool = False) -> dict:
    """Deploy as :func:`deploy` does, naming the deployment; ``filter_duplicates``: files unchanged since the
    service's latest deployment make no new one (that one is answered). ``{"deployment", "definitions",
    "created"}``."""
    uploaded = dict(files)
    with ctx.uow() as uow:
        try:
            service, latest = _latest_of(uow, ctx, files, service)
        except NotFound as err:
            raise InvalidDeployment([Problem(file=files[0][0] if files else "", message=str(err))]) from None
        if filter_duplicates and _unchanged(uow, latest, files):
            existing = uow.definitions.deployment(latest.deployment_id)
            forced = existing.forced_over
            return {"deployment": deployment_dict(existing), "created": False,
                    "definitions": [definition_dict(d, forced) for d in uow.definitions.of_deployment(existing.id)]}
        carried = (
            {f.filename: f.content for f in uow.definitions.files(latest.deployment_id)} if latest else {}
        )
        carried.update(uploaded)
        all_files = sorted(carried.items())
        parsed = parse_deployment(all_files, ctx.checks())
        foreign = sorted(key for key in parsed.specs if service is None or key not in service.process_keys)
        if foreign:
            raise InvalidDeployment([Problem(file=parsed.files[key], element=key,
                                             message=f"process {key!r} belongs to no installed service")
                                     for key in foreign])
        overridden = []
        if latest is not None and service.dry_run is not None:
            samples, unreadable = load_samples(service.dry_run, service.samples)
            current = ctx.parsed(uow, latest).decisions
            found = unreadable + regressions(service.dry_run, current, parsed.decisions, samples,
                                             ctx.calendar.current())
            if found and not force:
                raise InvalidDeployment(found)
            overridden = [problem.to_dict() for problem in found]
        now = ctx.clock.now()
        deployment = uow.definitions.add_deployment(all_files, who, now, forced_over=overridden, name=name,
                                                    source=source)
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
    ctx.specs.put(fingerprint((file, hashlib.sha256(content).hexdigest()) for file, content in all_files), parsed)
    return {"deployment": deployment_dict(deployment), "created": True,
            "definitions": [definition_dict(d, overridden) for d in created]}


def deploy_bundled_if_empty(ctx: EngineContext) -> list[dict]:
    """Deploy each installed service's process files that has none of its processes deployed yet."""
    created = []
    for service in ctx.services.all:
        with ctx.reader() as uow:
            if any(uow.definitions.latest(key) for key in service.process_keys):
                continue
        created += deploy(ctx, bundled_files(service.workflows), "system", service=service)
    return created


def find_definitions(ctx: EngineContext, key: str | None = None, latest_only: bool = False, first: int = 0,
                     limit: int | None = None) -> tuple[list[dict], int]:
    """Process versions (of ``key``; only the newest of each with ``latest_only``) by key and version, one page
    of them, and how many match -- chosen and paged by the database."""
    with ctx.reader() as uow:
        rows, total = uow.definitions.matching(key, latest_only, first, limit)
        forced = {d: uow.definitions.deployment(d).forced_over for d in {row.deployment_id for row in rows}}
        return [definition_dict(row, forced[row.deployment_id]) for row in rows], total


def definition_by_id(ctx: EngineContext, definition_id: int, key: str, version: int) -> dict:
    """The process version of this id, if it is ``key`` version ``version`` (ids the facade composes)."""
    with ctx.reader() as uow:
        found = uow.definitions.get(definition_id)
        if found is None or found.key != key or found.version != version:
            raise NotFound(f"No matching definition with id {key}:{version}:{definition_id}")
        return definition_dict(found, uow.definitions.deployment(found.deployment_id).forced_over)


def list_definitions(ctx: EngineContext) -> list[dict]:
    """Every process version, by key and version."""
    return find_definitions(ctx)[0]


def get_definition(ctx: EngineContext, key: str, version: int) -> dict:
    """One process version (its key, name, who deployed it and when)."""
    with ctx.reader() as uow:
        definition = uow.definitions.by_version(key, version)
        if definition is None:
            raise NotFound(f"process definition {key!r} version {version} not found")
        return definition_dict(definition, uow.definitions.deployment(definition.deployment_id).forced_over)


def definition_xml(ctx: EngineContext, key: str, version: int | None) -> tuple[str, bytes]:
    """The deployed file of a process version, byte for byte."""
    with ctx.reader() as uow:
        definition = uow.definitions.by_version(key, version) if version is not None else uow.definitions.latest(key)
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
        "deployment_id": d.deployment_id,
        "resource": d.filename,
        "forced_over": forced_over or [],
    }


def deployment_dict(d) -> dict:
    return {"id": d.id, "name": d.name, "source": d.source, "deployed_at": d.deployed_at,
            "deployed_by": d.deployed_by}


def list_deployments(ctx: EngineContext, first: int = 0, limit: int | None = None, name: str | None = None,
                     source: str | None = None) -> tuple[list[dict], int]:
    """Deployments, oldest first (a page of them), and how many match."""
    with ctx.reader() as uow:
        rows = [deployment_dict(d) for d in uow.definitions.deployments(first, limit, name, source)]
        return rows, uow.definitions.count_deployments(name, source)


def get_deployment(ctx: EngineContext, deployment_id: int) -> dict:
    with ctx.reader() as uow:
        found = uow.definitions.deployment(deployment_id)
        if found is None:
            raise NotFound(f"deployment {deployment_id} not found")
        return {**deployment_dict(found), "definitions": [definition_dict(d, found.forced_over)
                                                          for d in uow.definitions.of_deployment(found.id)]}
