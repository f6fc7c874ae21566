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
from ..diagram import render_svg
from ..errors import Conflict, Forbidden, InvalidDeployment, NotFound, Problem
from ..persistence.models import DecisionDefinition, ProcessDefinition
from ..safexml import UnsafeXml, parse_xml
from ..service import Service
from ..users import Principal
from .instances import cancel_running
from .sample_dry_run import load_samples, regressions

log = logging.getLogger(__name__)


def bundled_files(directory: Path) -> list[tuple[str, bytes]]:
    """A service's process files (its ``workflows`` folder's .bpmn and .dmn)."""
    return [(path.name, path.read_bytes()) for path in sorted(directory.iterdir()) if path.suffix in (".bpmn", ".dmn")]


def _process_keys(files: list[tuple[str, bytes]]) -> set[str]:
    """The executable processes of the uploaded BPMN files (unreadable files are left to the checks)."""
    keys: set[str] = set()
    for name, content in files:
        if not name.lower().endswith(".bpmn"):
            continue
        try:
            root = parse_xml(content)
        except UnsafeXml:
            continue
        keys.update(
            p.get("id")
            for p in root.iter(f"{{{BPMN_NS}}}process")
            if p.get("isExecutable", "true") == "true" and p.get("id")
        )
    return keys


def _latest_of(uow, ctx: EngineContext, files: list[tuple[str, bytes]], service: Service | None):
    """The service the upload belongs to and its latest deployment (files not uploaded are carried over from
    that one): named by the upload's processes, else by the newest deployment holding a file of the same
    name."""
    if service is None:
        keys = _process_keys(files)
        if keys:
            owners = {ctx.services.for_process(key) for key in keys}
            if len(owners) > 1:
                raise InvalidDeployment(
                    [
                        Problem(
                            file=files[0][0],
                            message="the files belong to several services: deploy each service's files on their own",
                        )
                    ]
                )
            service = owners.pop()
        else:  # decision tables only: the service whose latest deployment has a file of that name
            holder = uow.definitions.latest_deployment_with_file(sorted({name for name, _ in files}))
            if holder is not None:
                service = ctx.services.for_process(uow.definitions.run_in(holder.id)[0].key)
    if service is None:
        return None, None
    return service, uow.definitions.latest_deployment_of(sorted(service.process_keys))


def deploy(
    ctx: EngineContext, files: list[tuple[str, bytes]], who: str, *, force: bool = False, service: Service | None = None
) -> list[dict]:
    """Deploy ``files`` for a service; raises ``InvalidDeployment`` with every problem, storing nothing.
    ``force`` deploys even when the dry run on the service's samples finds a regression (recorded with the
    deployment). The process versions the deployment runs (``created``: minted by it)."""
    return deploy_resources(ctx, files, who, force=force, service=service)["definitions"]


def _duplicate(uow, files: list[tuple[str, bytes]], name: str | None, source: str | None):
    """Camunda's duplicate filtering: the newest deployment of this name and source when each uploaded file is,
    byte for byte, the newest file of its name among them; else None."""
    if not name:
        return None
    known = uow.definitions.latest_files_named(name, source, [filename for filename, _ in files])
    if all(known.get(filename) == hashlib.sha256(content).hexdigest() for filename, content in files):
        return uow.definitions.latest_named(name, source)
    return None


def _answer(uow, deployment, uploaded: set[str], created: bool) -> dict:
    """What a deployment says of itself: the process versions it runs (``created``: minted by it; ``uploaded``:
    their file was in the upload), the decision versions it minted."""
    forced = deployment.forced_over
    runs = [
        {**definition_dict(d, forced), "created": d.deployment_id == deployment.id, "uploaded": d.filename in uploaded}
        for d in uow.definitions.run_in(deployment.id)
    ]
    return {
        "deployment": deployment_dict(deployment),
        "created": created,
        "definitions": runs,
        "decisions": [decision_dict(d) for d in uow.decisions.of_deployment(deployment.id)],
    }


def deploy_resources(
    ctx: EngineContext,
    files: list[tuple[str, bytes]],
    who: str,
    *,
    force: bool = False,
    service: Service | None = None,
    name: str | None = None,
    source: str | None = None,
    filter_duplicates: bool = False,
) -> dict:
    """Deploy as :func:`deploy` does, naming the deployment; ``filter_duplicates`` (Camunda's): when every file
    is the newest of its name among the deployments of this name and source, no deployment is made and that
    newest one is answered. ``{"deployment", "created", "definitions", "decisions"}``.

    A deployment holds every file of the service (those not uploaded carried over from its latest deployment).
    A process gets a new version only when its BPMN changed; a decision only when the file holding it changed.
    The process versions it runs take their decisions from it for their new instances (running instances keep
    the deployment they started on)."""
    uploaded = dict(files)
    with ctx.uow() as uow:
        try:
            service, latest = _latest_of(uow, ctx, files, service)
        except NotFound as err:
            raise InvalidDeployment([Problem(file=files[0][0] if files else "", message=str(err))]) from None
        if filter_duplicates:
            existing = _duplicate(uow, files, name, source)
            if existing is not None:
                return _answer(uow, existing, set(uploaded), created=False)
        carried = {f.filename: f.content for f in uow.definitions.files(latest.id)} if latest else {}
        carried.update(uploaded)
        all_files = sorted(carried.items())
        parsed = parse_deployment(all_files, ctx.checks())
        foreign = sorted(key for key in parsed.specs if service is None or key not in service.process_keys)
        if foreign:
            raise InvalidDeployment(
                [
                    Problem(
                        file=parsed.files[key], element=key, message=f"process {key!r} belongs to no installed service"
                    )
                    for key in foreign
                ]
            )
        overridden = []
        if latest is not None and service.dry_run is not None:
            samples, unreadable = load_samples(service.dry_run, service.samples)
            current = ctx.parsed(uow, latest.id).decisions
            found = unreadable + regressions(
                service.dry_run, current, parsed.decisions, samples, ctx.calendar.current()
            )
            if found and not force:
                raise InvalidDeployment(found)
            overridden = [problem.to_dict() for problem in found]
        now = ctx.clock.now()
        deployment = uow.definitions.add_deployment(
            all_files, who, now, forced_over=overridden, name=name, source=source
        )
        digests = {filename: hashlib.sha256(content).hexdigest() for filename, content in all_files}
        for key in sorted(parsed.specs):
            definition = _version_to_run(uow, key, parsed, digests, deployment, who, now)
            uow.definitions.run_by(deployment.id, definition.id)
        for decision_id in sorted(parsed.decisions):
            _record_decision(uow, parsed.decisions[decision_id], digests, deployment, who, now)
        uow.flush()
        answer = _answer(uow, deployment, set(uploaded), created=True)
        uow.commit()
    if overridden:
        log.warning("deployment %s by %s forced over %d dry-run finding(s)", deployment.id, who, len(overridden))
    ctx.specs.put(fingerprint(digests.items()), parsed)
    return answer


def _version_to_run(uow, key: str, parsed, digests: dict[str, str], deployment, who: str, now) -> ProcessDefinition:
    """The latest version of process ``key`` when its BPMN file is unchanged, else a new version minted by this
    deployment."""
    previous = uow.definitions.latest(key)
    if previous is not None and _same_file(uow, previous, parsed.files[key], digests):
        return previous
    definition = ProcessDefinition(
        key=key,
        version=uow.definitions.max_version(key) + 1,
        name=parsed.names[key],
        filename=parsed.files[key],
        deployment_id=deployment.id,
        deployed_at=now,
        deployed_by=who,
    )
    uow.definitions.add(definition)
    uow.flush()
    return definition


def _same_file(uow, previous, filename: str, digests: dict[str, str]) -> bool:
    """Whether a version's file (by name, in the deployment that minted it) is ``filename`` byte for byte."""
    return (
        previous.filename == filename
        and dict(uow.definitions.file_digests(previous.deployment_id)).get(filename) == digests[filename]
    )


def _record_decision(uow, decision, digests: dict[str, str], deployment, who: str, now) -> None:
    """A new version of a decision whose file is new or changed since its latest version."""
    previous = uow.decisions.latest(decision.id)
    if previous is not None and _same_file(uow, previous, decision.file, digests):
        return
    highest = uow.decisions.latest_any(decision.id)
    uow.decisions.add(
        DecisionDefinition(
            key=decision.id,
            version=(highest.version + 1) if highest else 1,
            name=(decision.name or None),
            filename=decision.file,
            deployment_id=deployment.id,
            deployed_at=now,
            deployed_by=who,
        )
    )


def deploy_bundled_if_empty(ctx: EngineContext) -> list[dict]:
    """Deploy each installed service's process files that has none of its processes deployed yet."""
    created = []
    for service in ctx.services.all:
        with ctx.reader() as uow:
            if any(uow.definitions.latest(key) for key in service.process_keys):
                continue
        created += deploy(ctx, bundled_files(service.workflows), "system", service=service)
    return created


def find_definitions(
    ctx: EngineContext, key: str | None = None, latest_only: bool = False, first: int = 0, limit: int | None = None
) -> tuple[list[dict], int]:
    """Process versions (of ``key``; only the newest of each with ``latest_only``) by key and version, one page
    of them, and how many match -- chosen and paged by the database."""
    with ctx.reader() as uow:
        rows, total = uow.definitions.matching(key, latest_only, first, limit)
        return [definition_dict(row, _forced_over(uow, row)) for row in rows], total


def _forced_over(uow, definition: ProcessDefinition) -> list[dict] | None:
    """What the deployment a version's new instances run on was forced over (its decisions' dry run)."""
    running = uow.definitions.deployment(uow.definitions.deployment_running(definition.id) or definition.deployment_id)
    return running.forced_over if running is not None else None


def definition_by_id(ctx: EngineContext, definition_id: int, key: str, version: int) -> dict:
    """The process version of this id, if it is ``key`` version ``version`` (ids the facade composes)."""
    with ctx.reader() as uow:
        found = uow.definitions.get(definition_id)
        if found is None or found.key != key or found.version != version or _live(uow, found.deployment_id) is None:
            raise NotFound(f"No matching definition with id {key}:{version}:{definition_id}")
        return definition_dict(found, _forced_over(uow, found))


def list_definitions(ctx: EngineContext) -> list[dict]:
    """Every process version, by key and version."""
    return find_definitions(ctx)[0]


def get_definition(ctx: EngineContext, key: str, version: int) -> dict:
    """One process version (its key, name, who deployed it and when)."""
    with ctx.reader() as uow:
        definition = uow.definitions.by_version(key, version)
        if definition is None:
            raise NotFound(f"process definition {key!r} version {version} not found")
        return definition_dict(definition, _forced_over(uow, definition))


def definition_xml(ctx: EngineContext, key: str, version: int | None) -> tuple[str, bytes]:
    """The deployed file of a process version, byte for byte."""
    with ctx.reader() as uow:
        definition = uow.definitions.by_version(key, version) if version is not None else uow.definitions.latest(key)
        if definition is None:
            raise NotFound(f"process definition {key!r} version {version or 'latest'} not found")
        return definition_file(uow, definition)


def definition_diagram(ctx: EngineContext, key: str, version: int) -> str:
    """A process version's diagram as SVG (no step marked)."""
    _, content = definition_xml(ctx, key, version)
    return render_svg(content, set(), set(), set())


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
    return {
        "id": d.id,
        "name": d.name,
        "source": d.source,
        "deployed_at": d.deployed_at,
        "deployed_by": d.deployed_by,
        "forced_over": d.forced_over or [],
    }


def list_deployments(
    ctx: EngineContext, first: int = 0, limit: int | None = None, name: str | None = None, source: str | None = None
) -> tuple[list[dict], int]:
    """Deployments, oldest first (a page of them), and how many match."""
    with ctx.reader() as uow:
        rows = [deployment_dict(d) for d in uow.definitions.deployments(first, limit, name, source)]
        return rows, uow.definitions.count_deployments(name, source)


def _live(uow, deployment_id: int):
    """The deployment if it was not deleted."""
    found = uow.definitions.deployment(deployment_id)
    return found if found is not None and found.deleted_at is None else None


def _live_deployment(uow, deployment_id: int):
    found = uow.definitions.deployment(deployment_id)
    if found is None or found.deleted_at is not None:
        raise NotFound(f"Deployment with id '{deployment_id}' does not exist")
    return found


def get_deployment(ctx: EngineContext, deployment_id: int) -> dict:
    """A deployment (not deleted), the process versions it runs and the decision versions it minted."""
    with ctx.reader() as uow:
        found = _live_deployment(uow, deployment_id)
        answer = _answer(uow, found, set(), created=False)
        return {**answer["deployment"], "definitions": answer["definitions"], "decisions": answer["decisions"]}


def deployment_resources(ctx: EngineContext, deployment_id: int) -> list[dict]:
    """The files of a deployment (those uploaded and those carried over): ``{"id", "name", "deployment_id"}``."""
    with ctx.reader() as uow:
        _live_deployment(uow, deployment_id)
        return [
            {"id": f.id, "name": f.filename, "deployment_id": deployment_id}
            for f in uow.definitions.files(deployment_id)
        ]


def deployment_resource(ctx: EngineContext, deployment_id: int, resource_id: int) -> tuple[dict, bytes]:
    """One file of a deployment and its bytes."""
    with ctx.reader() as uow:
        _live_deployment(uow, deployment_id)
        for f in uow.definitions.files(deployment_id):
            if f.id == resource_id:
                return {"id": f.id, "name": f.filename, "deployment_id": deployment_id}, f.content
        raise NotFound(
            f"Deployment resource with resource id '{resource_id}' for deployment id '{deployment_id}' does not exist."
        )


def delete_deployment(ctx: EngineContext, principal: Principal, deployment_id: int, cascade: bool) -> dict:
    """Delete a deployment (Camunda's ``DELETE /deployment/{id}``): refused while applications run on it,
    unless ``cascade``, which cancels each of them (only an admin may) with the reason in its history. The
    deployment is kept, hidden, for the history of the instances that ran on it: its process versions are no
    longer started (the previous ones are the latest again) and its decisions no longer evaluated."""
    reason = f"部署{deployment_id}已删除（{principal.name}）"
    with ctx.reader() as uow:
        _live_deployment(uow, deployment_id)
        running = uow.definitions.instances_on(deployment_id, active_only=True)
    if running and not cascade:
        raise Conflict(
            f"Deployment {deployment_id} cannot be deleted: {len(running)} application(s) run on it; "
            f"delete with cascade=true to cancel them"
        )
    if running and not principal.has_role("admin"):
        raise Forbidden(f"cascade=true would cancel {len(running)} running application(s): only an admin may")
    for instance_id in running:  # one transaction each: a delete stopped half-way is finished by running it again
        cancel_running(ctx, instance_id, principal.name, reason)
    with ctx.uow() as uow:
        found = _live_deployment(uow, deployment_id)
        if uow.definitions.instances_on(deployment_id, active_only=True):
            raise Conflict(f"an application was started on deployment {deployment_id} meanwhile; delete it again")
        uow.definitions.delete_deployment(found, principal.name, ctx.clock.now())
        uow.commit()
    log.info("deployment %s deleted by %s (%d application(s) cancelled)", deployment_id, principal.name, len(running))
    return {"id": deployment_id, "cancelled": running}


def decision_dict(d: DecisionDefinition) -> dict:
    return {
        "id": d.id,
        "key": d.key,
        "version": d.version,
        "name": d.name,
        "resource": d.filename,
        "deployment_id": d.deployment_id,
        "deployed_at": iso(d.deployed_at),
        "deployed_by": d.deployed_by,
    }
