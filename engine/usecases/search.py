"""Finding applications (issue 22): by business key, or by what the services let an instance be found by (an
ID number, a phone, a name: :class:`engine.service.Search`), within the caller's reach -- staff in their
jurisdictions, clerks only where their groups work (a task of theirs, or every instance of a service they
coordinate). Each application found is recorded in its history like any reading of personal data: who found
it and by what kind of key (never the query itself).

:func:`reindex` writes every instance's keys again under the digests' current key (after
``ONETHING_SEARCH_KEY`` or the secret changed, or an upgrade that gave a service more kinds of keys)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..clock import iso
from ..context import EngineContext
from ..errors import InvalidInput
from ..persistence.models import ProcessInstance
from ..persistence.unit_of_work import UnitOfWork
from ..projection import process_variables
from ..search import MAX_QUERY
from ..users import Principal

LIMIT = 50  # applications answered at most (a search is to find one, not to list)


def find(ctx: EngineContext, principal: Principal, text: str | None) -> dict:
    """Applications matching the typed ``text``, newest first: ``{"query_kinds", "items", "total"}``."""
    query = " ".join((text or "").split())
    if not query:
        raise InvalidInput("请输入申请编号、证件号码、姓名或手机号码", {"q": ["请输入要查找的内容"]})
    if len(query) > MAX_QUERY:
        raise InvalidInput("查找内容过长", {"q": [f"最多{MAX_QUERY}个字符"]})
    now = ctx.clock.now()
    read = {(kind, value) for service in ctx.services.all for kind, value in service.search.read_query(query)}
    digests = ctx.search.of(read)
    business_keys = {query, query.upper()} if query.isascii() else set()
    clerk_only = principal.has_role("clerk") and not principal.has_role("supervisor", "admin")
    coordinated = [
        key
        for service in ctx.services.all
        if principal.groups & service.departments.coordinators
        for key in service.process_keys
    ]
    with ctx.uow() as uow:
        found = uow.search_keys.find(
            digests,
            business_keys,
            principal.jurisdictions,
            sorted(principal.groups) if clerk_only else None,
            coordinated,
            LIMIT,
        )
        items = []
        for instance in found:
            service = ctx.service_of(uow, instance)
            matched = sorted(uow.search_keys.kinds_matching(instance.id, digests)) or (
                ["business_key"] if instance.business_key in business_keys else []
            )
            tasks = [t for t in uow.tasks.for_instance(instance.id) if t.candidate_group in principal.groups]
            latest = max(tasks, key=lambda t: (t.completed_at is None, t.created_at), default=None)
            items.append(
                {
                    "id": instance.id,
                    "business_key": instance.business_key,
                    "state": instance.state,
                    "service": service.title,
                    "subject_title": service.subject_title,
                    "applicant_name": instance.applicant_name,
                    "subject_name": instance.subject_name,
                    "filed_at": iso(instance.created_at),
                    "jurisdiction": instance.jurisdiction,
                    "matched": matched,
                    "task_id": latest.id if latest else None,
                    "task_name": latest.name if latest else None,
                    "task_open": bool(latest and latest.completed_at is None),
                }
            )
            ctx.workflows.record(uow, instance.id, principal.name, "found_by_search", at=now, detail={"kinds": matched})
        uow.commit()
    return {"items": items, "total": len(items), "limit": LIMIT}


BATCH = 200  # instances per transaction of a reindex


@dataclass(frozen=True)
class Reindexed:
    instances: int  # instances whose keys were written again
    keys: int  # keys written
    erased: int  # erased instances: no keys


def reindex(ctx: EngineContext, progress: Callable[[Reindexed], None] | None = None, batch: int = BATCH) -> Reindexed:
    """Every instance's search keys written again, from its workflow's variables (an archived one's kept data)
    and its summary; an erased instance keeps none. One transaction per ``batch`` instances, so a run that is
    stopped leaves each instance's keys whole, and running it again is harmless."""
    done = Reindexed(0, 0, 0)
    after = ""
    while True:
        with ctx.uow() as uow:
            instances = uow.search_keys.instances_after(after, batch)
            if not instances:
                return done
            keys = erased = 0
            for instance in instances:
                digests = set() if instance.erased_at else ctx.search.of(_keys_of(ctx, uow, instance))
                uow.search_keys.replace(instance.id, digests)
                keys += len(digests)
                erased += instance.erased_at is not None
            uow.commit()
        after = instances[-1].id
        done = Reindexed(done.instances + len(instances), done.keys + keys, done.erased + erased)
        if progress:
            progress(done)


def _keys_of(ctx: EngineContext, uow: UnitOfWork, instance: ProcessInstance) -> list[tuple[str, str]]:
    variables: Any
    if instance.archived_at is not None:
        variables = (instance.archive or {}).get("data") or {}
    else:
        variables = process_variables(ctx.workflows.load(uow, instance))
    return list(ctx.service_of(uow, instance).search.keys_of(variables, instance.summary or {}))
