"""How many running instances wait at each activity of a process version, and their incidents (service tasks
whose attempts ran out: jobs in state ``incident``); and per version, how many run. Counted by the database
from the projected tables (open user tasks, jobs, message waits): no workflow is read."""

from __future__ import annotations

from ..context import EngineContext


def activity_statistics(ctx: EngineContext, definition_id: int) -> list[dict]:
    """``[{"activity_id", "instances", "incidents"}]`` for one version's running instances."""
    with ctx.reader() as uow:
        rows = uow.search.waiting_at([definition_id])
    found: dict[str, dict] = {}
    for activity, what, count in rows:
        entry = found.setdefault(activity, {"activity_id": activity, "instances": 0, "incidents": 0})
        entry["instances"] += count
        if what == "incident":
            entry["incidents"] += count
    return sorted(found.values(), key=lambda entry: entry["activity_id"])


def definition_statistics(ctx: EngineContext, definition_ids: list[int]) -> dict[int, dict]:
    """Per version: ``{"instances", "incidents"}`` of its running instances."""
    with ctx.reader() as uow:
        counts = uow.search.instance_counts(definition_ids)
        incidents = uow.search.incident_counts(definition_ids)
    return {
        definition: {"instances": counts.get(definition, (0, 0))[0], "incidents": incidents.get(definition, 0)}
        for definition in definition_ids
    }
