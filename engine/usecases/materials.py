"""An application's materials: upload one, list them, read one back (R4.2, R8.1–R8.3).

The portal user that filed the application, and clerks of a department that handles one of its chosen
items (or the service centre) inside their jurisdiction, may upload and read. An application outside the
caller's reach is not found (404); one in reach but of another department is forbidden (403). Every
upload and every read of a file is recorded in the history with who, when, which code and which hash.
"""

from __future__ import annotations

from ..clock import iso
from ..context import EngineContext
from ..errors import Conflict, Forbidden, NotFound
from ..materials import MaterialStore, check_upload, sanitize_filename
from ..persistence.material_models import Material
from ..persistence.models import ProcessInstance
from ..persistence.unit_of_work import ConcurrentUpdate
from ..users import Principal
from .access import check_instance_visible


def _check_code(ctx: EngineContext, code: str) -> str:
    if code not in ctx.services.materials:
        raise NotFound(f"unknown material code {code!r}; known: {', '.join(ctx.services.materials)}")
    return code


def check_materials_access(
    ctx: EngineContext, uow, principal: Principal, instance: ProcessInstance | None
) -> ProcessInstance:
    """The applicant, or a clerk of a department working on the application -- one given a task of it, or one
    of the service's coordinators (404 out of reach, else 403)."""
    instance = check_instance_visible(principal, instance)
    if principal.has_role("portal") and instance.started_by == principal.name:
        return instance
    groups = {task.candidate_group for task in uow.tasks.for_instance(instance.id)} | set(
        ctx.service_of(uow, instance).departments.coordinators
    )
    if principal.has_role("clerk") and principal.groups & groups:
        return instance
    raise Forbidden("only the applicant and the departments handling this application may use its materials")


def material_dict(ctx: EngineContext, row: Material) -> dict:
    return {
        "code": row.code,
        "name": ctx.services.materials.get(row.code, row.code),
        "version": row.version,
        "filename": row.filename,
        "media_type": row.media_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": iso(row.uploaded_at),
    }


def upload(
    ctx: EngineContext,
    store: MaterialStore,
    principal: Principal,
    instance_id: str,
    code: str,
    content: bytes,
    filename: str | None,
    max_bytes: int,
) -> tuple[dict, bool]:
    """Store a new current version of ``code``; (its description, whether it replaced an earlier one)."""
    _check_code(ctx, code)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        instance = check_materials_access(ctx, uow, principal, uow.instances.get(instance_id))
        if instance.state != "active":
            raise Conflict(f"the application is {instance.state}; its materials can no longer change")
        media_type = check_upload(content, max_bytes)
        sha256 = store.put(content)
        previous = uow.materials.current(instance.id, code)
        if previous is not None:
            previous.superseded_at = now
            uow.flush()
        row = Material(
            instance_id=instance.id,
            code=code,
            version=uow.materials.last_version(instance.id, code) + 1,
            filename=sanitize_filename(filename),
            media_type=media_type,
            size=len(content),
            sha256=sha256,
            uploaded_by=principal.name,
            uploaded_at=now,
        )
        uow.materials.add(row)
        ctx.workflows.record(
            uow,
            instance.id,
            principal.name,
            "material_uploaded",
            at=now,
            detail={
                "code": code,
                "sha256": sha256,
                "version": row.version,
                "media_type": media_type,
                "size": len(content),
            },
        )
        try:
            uow.commit()
        except ConcurrentUpdate:
            raise Conflict("another upload of this material came first; try again") from None
        return material_dict(ctx, row), previous is not None


def list_materials(ctx: EngineContext, principal: Principal, instance_id: str) -> list[dict]:
    """The current version of every material uploaded, by code."""
    with ctx.reader() as uow:
        instance = check_materials_access(ctx, uow, principal, uow.instances.get(instance_id))
        return [material_dict(ctx, row) for row in uow.materials.current_for_instance(instance.id)]


def read(
    ctx: EngineContext, store: MaterialStore, principal: Principal, instance_id: str, code: str
) -> tuple[dict, bytes]:
    """The current version of ``code`` and its bytes; the read is recorded (R8.1)."""
    _check_code(ctx, code)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        instance = check_materials_access(ctx, uow, principal, uow.instances.get(instance_id))
        row = uow.materials.current(instance.id, code)
        if row is None:
            raise NotFound(f"no {code} has been uploaded for this application")
        if instance.erased_at is not None:  # the retention policy erased its personal data (engine.retention)
            raise NotFound(
                f"the materials of this application were erased on {iso(instance.erased_at)} under the retention policy"
            )
        try:
            content = store.get(row.sha256)
        except FileNotFoundError:  # deleted by a retention run whose erasure has not committed yet
            raise NotFound("the file of this material is no longer kept (retention policy)") from None
        ctx.workflows.record(
            uow,
            instance.id,
            principal.name,
            "material_read",
            at=now,
            detail={"code": code, "sha256": row.sha256, "version": row.version},
        )
        uow.commit()
        return material_dict(ctx, row), content
