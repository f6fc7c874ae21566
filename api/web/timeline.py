"""An application's history as people read it (issue 22): each event a line in Chinese, naming the material
uploaded or read; the reads of one person in one sitting (viewing the personal data, the materials, finding
the application) one line, with how many and what was read, instead of a line per page view."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from engine.calendar.chinese import chinese_time

from .texts import EVENTS, SEARCH_KINDS

READS = ("personal_data_read", "material_read", "found_by_search")
SITTING = timedelta(minutes=30)  # reads this close to the person's previous one are the same sitting


def _detail_text(event: Mapping, materials: Mapping[str, str], kinds: Mapping[str, str]) -> str:
    detail = event.get("detail") or {}
    kind = event["kind"]
    if kind in ("material_uploaded", "material_read") and detail.get("code"):
        return materials.get(detail["code"], detail["code"])
    if kind == "task_assigned" and detail.get("to"):
        return f"转交给{detail['to']}"
    if kind == "follow_up_set":
        return f"跟进日期：{chinese_time(detail['on'])}" if detail.get("on") else "取消跟进日期"
    if kind == "found_by_search":
        return (
            "按" + "、".join(kinds.get(k, k) for k in detail.get("kinds") or ()) + "查找" if detail.get("kinds") else ""
        )
    return ""


def timeline(
    history: list[Mapping], materials: Mapping[str, str], search_kinds: Mapping[str, str] | None = None
) -> list[dict]:
    """Lines ``{"at", "until", "actor", "event", "what", "count", "activity_name", "reason"}`` in the
    order of their first event."""
    kinds = {**SEARCH_KINDS, **(search_kinds or {})}
    lines: list[dict] = []
    sitting: dict[str, dict] = {}  # the open reading line of each person
    for event in history:
        at = datetime.fromisoformat(event["at"])
        what = _detail_text(event, materials, kinds)
        if event["kind"] in READS:
            line = sitting.get(event["actor"])
            if line is not None and at - line["_last"] <= SITTING:
                line["_last"], line["until"], line["count"] = at, event["at"], line["count"] + 1
                _add(line["_events"], EVENTS.get(event["kind"], event["kind"]))
                if what:
                    _add(line["_what"], what)
                continue
            line = {
                "at": event["at"],
                "until": event["at"],
                "actor": event["actor"],
                "count": 1,
                "activity_name": event.get("activity_name"),
                "reason": None,
                "_last": at,
                "_events": [EVENTS.get(event["kind"], event["kind"])],
                "_what": [what] if what else [],
            }
            sitting[event["actor"]] = line
            lines.append(line)
            continue
        lines.append(
            {
                "at": event["at"],
                "until": event["at"],
                "actor": event["actor"],
                "count": 1,
                "activity_name": event.get("activity_name"),
                "reason": event.get("reason"),
                "_events": [EVENTS.get(event["kind"], event["kind"])],
                "_what": [what] if what else [],
            }
        )
    for line in lines:
        line["event"] = "、".join(line.pop("_events"))
        line["what"] = "、".join(line.pop("_what"))
        line.pop("_last", None)
    return lines


def _add(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)
