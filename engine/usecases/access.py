"""Who may see or act on what (R8.3): jurisdiction and group checks shared by the use cases."""

from __future__ import annotations

from ..errors import Forbidden, NotFound
from ..persistence.models import ProcessInstance, UserTask
from ..persistence.search import Reach
from ..users import Principal


def check_instance_visible(principal: Principal, instance: ProcessInstance | None) -> ProcessInstance:
    """The portal sees the applications it filed; staff see those in their jurisdictions.

    An application outside the caller's reach is reported as not found, so its existence is not revealed.
    """
    if instance is None or not may_see(principal, instance.started_by, instance.jurisdiction):
        raise NotFound("application not found")
    return instance


def may_see(principal: Principal, started_by: str, jurisdiction: str) -> bool:
    """The rule of :func:`check_instance_visible`, on an instance's filer and jurisdiction alone."""
    if principal.has_role("portal") and started_by == principal.name:
        return True
    return principal.has_role("clerk", "supervisor", "admin") and principal.covers(jurisdiction)


def check_task_workable(principal: Principal, task: UserTask | None) -> UserTask:
    """A clerk works tasks of its own groups in its own jurisdictions; others get 404 or 403."""
    if task is None or not principal.covers(task.jurisdiction):
        raise NotFound("task not found")
    if task.candidate_group not in principal.groups:
        raise Forbidden("this task belongs to another department")
    return task


def reach_of(principal: Principal) -> Reach:
    """Whose instances a caller's searches read: the portal those it filed, staff those in their jurisdictions
    (the same reach as :func:`check_instance_visible`)."""
    staff = principal.has_role("clerk", "supervisor", "admin")
    return Reach(
        starter=principal.name if principal.has_role("portal") else None,
        jurisdictions=tuple(principal.jurisdictions) if staff else (),
    )
