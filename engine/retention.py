"""Retention of finished instances (issue 25): the policy in force for each service, the compact record an
archived instance keeps instead of its workflow state, and erasing personal values from what remains.

PIPL Art. 19 (and GB/T 35273 §6.1, "存储时间最小化") ask that personal information be kept no longer than the
purpose needs. A service says its policy (:class:`engine.service.Retention`); ``ONETHING_RETENTION`` overrides
the days, e.g. ``newborn:archive=30,erase=180;residence:archive=7,erase=90``. The use case that applies it
is ``engine.usecases.retention``.

Erasing is by key and by value. A value under one of the service's personal keys (``Views.personal_keys``,
matched as the views mask: ``phone`` matches ``recipient_phone``) becomes None wherever it is stored; every
such value of the instance's data, and every value at ``Retention.personal_fields`` (names), noted in the
record when it is archived, is also cut out of any text (a clerk's reason, a notice) wherever it appears.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .errors import EngineError
from .service import Retention, Service

POLICY_VARIABLE = "ONETHING_RETENTION"
RECORD_VERSION = 1
ERASED_TEXT = "***"  # what is left in a text where a personal value was
SHORTEST_VALUE = 2  # shorter values are not cut out of texts (a one-character surname would wreck them)
_SETTING = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*:\s*(.*)")
_DAYS = re.compile(r"\s*(archive|erase)\s*=\s*(\d{1,6})\s*")


class BadRetentionSetting(EngineError):
    """``ONETHING_RETENTION`` says something that is not a policy."""


def policies(services: Iterable[Service], setting: str | None = None) -> dict[str, Retention]:
    """Each service's policy in force: its own, with the days ``ONETHING_RETENTION`` (or ``setting``) gives.
    A service without a policy of its own gets one only from the setting, keeping no data in its record."""
    services = list(services)
    found = {service.name: service.retention for service in services}
    text = os.environ.get(POLICY_VARIABLE, "") if setting is None else setting
    for part in filter(str.strip, text.split(";")):
        match = _SETTING.fullmatch(part)
        if match is None or match.group(1) not in found:
            raise BadRetentionSetting(
                f"{POLICY_VARIABLE}: {part.strip()!r} is not '<service>:archive=<days>,"
                f"erase=<days>' for an installed service ({', '.join(found)})"
            )
        days: dict[str, int] = {}
        for item in match.group(2).split(","):
            day = _DAYS.fullmatch(item)
            if day is None:
                raise BadRetentionSetting(
                    f"{POLICY_VARIABLE}: {item.strip()!r} in {part.strip()!r} is not archive=<days> or erase=<days>"
                )
            days[day.group(1)] = int(day.group(2))
        name = match.group(1)
        current = found[name] or Retention(
            archive_after_days=days.get("archive", days.get("erase", 0)),
            erase_after_days=days.get("erase", days.get("archive", 0)),
            kept_data=frozenset(),
            reasoning=f"set by {POLICY_VARIABLE}",
        )
        found[name] = replace(
            current,
            archive_after_days=days.get("archive", current.archive_after_days),
            erase_after_days=days.get("erase", current.erase_after_days),
        )
    return {name: policy for name, policy in found.items() if policy is not None}


# -- the record of an archived instance --------------------------------------------------------------------


def _is_personal_key(key: str, personal_keys: Collection[str]) -> bool:
    return any(part in key for part in personal_keys)


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def personal_values(data: Any, personal_keys: Collection[str], personal_fields: Collection[str] = ()) -> set[str]:
    """Every text under a personal key anywhere in ``data``, and at each of ``personal_fields`` (dotted paths),
    long enough to be cut out of other texts."""
    found: set[str] = set()

    def walk(value: Any, personal: bool) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(inner, personal or _is_personal_key(str(key), personal_keys))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, personal)
        elif personal and isinstance(value, str) and len(value.strip()) >= SHORTEST_VALUE:
            found.add(value.strip())

    walk(data, False)
    for path in personal_fields:
        walk(_at(data, path), True)
    return found


def archive_record(
    data: Mapping[str, Any],
    done_steps: Iterable[str],
    policy: Retention,
    personal_keys: Collection[str],
    archived_at: str,
) -> dict:
    """What an archived instance keeps of its workflow: the data under ``policy.kept_data``, the steps done (to
    draw its diagram), and -- until it is erased -- its personal values, to find them in free text then."""
    return {
        "version": RECORD_VERSION,
        "archived_at": archived_at,
        "data": {key: data[key] for key in sorted(policy.kept_data) if key in data},
        "done_steps": sorted(set(done_steps)),
        "personal_values": sorted(personal_values(data, personal_keys, policy.personal_fields)),
    }


# -- erasing -------------------------------------------------------------------------------------------------


@dataclass
class Eraser:
    """Takes personal values out of stored JSON and text; counts what it changed."""

    personal_keys: Collection[str]
    values: Collection[str]
    changed: int = 0

    def __post_init__(self) -> None:
        longest_first = sorted({v for v in self.values if len(v) >= SHORTEST_VALUE}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, longest_first))) if longest_first else None

    def text(self, value: str | None) -> str | None:
        """``value`` with every personal value in it replaced by ``***``."""
        if not value or self._pattern is None:
            return value
        erased, count = self._pattern.subn(ERASED_TEXT, value)
        self.changed += count
        return erased

    def data(self, value: Any) -> Any:
        """A copy of ``value``: None under a personal key, personal values cut out of every other text."""
        if isinstance(value, Mapping):
            out = {}
            for key, inner in value.items():
                if _is_personal_key(str(key), self.personal_keys) and inner not in (None, ""):
                    out[key] = self._gone(inner)
                else:
                    out[key] = self.data(inner)
            return out
        if isinstance(value, list):
            return [self.data(inner) for inner in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _gone(self, value: Any) -> Any:
        """A personal key's value erased: texts and numbers to None; a structure keeps its shape, emptied."""
        if isinstance(value, Mapping):
            return {key: self._gone(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [self._gone(inner) for inner in value]
        if isinstance(value, bool) or value is None:
            return value
        self.changed += 1
        return None
