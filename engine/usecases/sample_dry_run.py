"""A new version's policy tables are dry-run before it is accepted (issue 13).

The sample applications in a service's ``workflows/<service>/samples/*.json`` -- the newborn service bundles
one per region, an analyst adds more -- go through the decisions of the version being deployed and of the
current one (the service's :attr:`~engine.service.Service.check`).
A version that refuses a sample the current version accepts, or cannot answer for it at all (a
``time_limits`` table without the region's row, a decision missing), is refused with the difference; the
deployment may be forced, and then records what it overrode.

A sample file is an application, or ``{"as_of": "<ISO time>", "application": {...}}``: the application is
checked as at ``as_of`` (default: two days after the birth), so a sample stays a newborn's forever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..calendar import WorkdayCalendar
from ..dmn import DecisionSet
from ..errors import InvalidInput, PolicyError, Problem
from ..service import Service

MAX_SAMPLE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Sample:
    file: str
    application: dict
    as_of: datetime


def load_samples(service: Service, directory: Path) -> tuple[list[Sample], list[Problem]]:
    """The sample applications of ``directory`` (sorted by name), and what is wrong with those that are not
    (each checked by the service's own start form, as at its moment)."""
    samples: list[Sample] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        return samples, problems
    for path in sorted(directory.glob("*.json")):
        name = f"samples/{path.name}"
        try:
            if path.stat().st_size > MAX_SAMPLE_BYTES:
                raise ValueError(f"larger than {MAX_SAMPLE_BYTES // 1024} KiB")
            document = json.loads(path.read_text(encoding="utf-8"))
            raw = document.get("application", document) if isinstance(document, dict) else None
            if not isinstance(raw, dict):
                raise ValueError("not an application (a JSON object)")
            as_of = _as_of(document, raw)
            service.start({"application": raw}, as_of)  # a valid start request
            samples.append(Sample(name, raw, as_of))
        except InvalidInput as err:
            problems.append(Problem(file=name, message=f"the sample is not a valid application: "
                                                       f"{json.dumps(err.errors, ensure_ascii=False)}"))
        except (OSError, ValueError, TypeError, AttributeError) as err:
            problems.append(Problem(file=name, message=f"the sample cannot be read: {err}"))
    return samples, problems


def _as_of(document: dict, raw: dict) -> datetime:
    if document.get("as_of"):
        moment = datetime.fromisoformat(document["as_of"])
    else:
        moment = datetime.fromisoformat(raw["newborn"]["born_at"]) + timedelta(days=2)
    if moment.tzinfo is None:
        raise ValueError("as_of needs its offset (2026-11-25T10:00:00+08:00)")
    return moment


def _verdict(service: Service, decisions: DecisionSet, sample: Sample, calendar: WorkdayCalendar) -> tuple[str, str]:
    """("accepted" | "refused" | "no answer", what)."""
    try:
        found = service.check(decisions, sample.application, sample.as_of, calendar)
    except PolicyError as err:
        return "no answer", str(err)
    if found["refusals"]:
        return "refused", "；".join(f"{r['rule']} {r['message']}" for r in found["refusals"])
    return "accepted", ""


def regressions(service: Service, current: DecisionSet, new: DecisionSet, samples: list[Sample],
                calendar: WorkdayCalendar) -> list[Problem]:
    """Samples the current tables accept and the new ones refuse or cannot answer for."""
    problems = []
    for sample in samples:
        before, _ = _verdict(service, current, sample, calendar)
        if before != "accepted":
            continue
        after, what = _verdict(service, new, sample, calendar)
        if after == "refused":
            problems.append(Problem(file=sample.file, message=f"the current version accepts this sample; the "
                                                              f"new one refuses it: {what}"))
        elif after == "no answer":
            problems.append(Problem(file=sample.file, message=f"the current version accepts this sample; the "
                                                              f"new one cannot decide it: {what}"))
    return problems
