"""A new version's policy tables are dry-run before it is accepted (issue 13).

The sample requests in a service's ``workflows/<service>/samples/*.json`` -- a service bundles some, an
analyst adds more -- go through the decisions of the version being deployed and of the current one (the
service's :class:`~engine.service.DryRun`, which also reads each file: what a sample is, and as at which
moment it is checked, is the service's to say).
A version that refuses a sample the current version accepts, or cannot answer for it at all (a decision
table without the sample's row, a decision missing), is refused with the difference; the deployment may be
forced, and then records what it overrode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..calendar import WorkdayCalendar
from ..dmn import DecisionSet
from ..errors import InvalidInput, PolicyError, Problem
from ..service import DryRun

MAX_SAMPLE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Sample:
    file: str
    request: Any
    as_of: datetime


def load_samples(dry_run: DryRun, directory: Path) -> tuple[list[Sample], list[Problem]]:
    """The samples of ``directory`` (sorted by name), and what is wrong with those that are not (each read by
    the service's dry run, which checks it with the service's own form)."""
    samples: list[Sample] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        return samples, problems
    for path in sorted(directory.glob("*.json")):
        name = f"samples/{path.name}"
        try:
            if path.stat().st_size > MAX_SAMPLE_BYTES:
                raise ValueError(f"larger than {MAX_SAMPLE_BYTES // 1024} KiB")
            found = dry_run.sample(json.loads(path.read_text(encoding="utf-8")))
            samples.append(Sample(name, found.request, found.as_of))
        except InvalidInput as err:
            problems.append(
                Problem(
                    file=name,
                    message=f"the sample is not a valid request: {json.dumps(err.errors, ensure_ascii=False)}",
                )
            )
        except (OSError, ValueError, TypeError, AttributeError, KeyError) as err:
            problems.append(Problem(file=name, message=f"the sample cannot be read: {err}"))
    return samples, problems


def _verdict(dry_run: DryRun, decisions: DecisionSet, sample: Sample, calendar: WorkdayCalendar) -> tuple[str, str]:
    """("accepted" | "refused" | "no answer", what)."""
    try:
        found = dry_run.check(decisions, sample.request, sample.as_of, calendar)
    except PolicyError as err:
        return "no answer", str(err)
    if found["refusals"]:
        return "refused", "；".join(f"{r['rule']} {r['message']}" for r in found["refusals"])
    return "accepted", ""


def regressions(
    dry_run: DryRun, current: DecisionSet, new: DecisionSet, samples: list[Sample], calendar: WorkdayCalendar
) -> list[Problem]:
    """Samples the current tables accept and the new ones refuse or cannot answer for."""
    problems = []
    for sample in samples:
        before, _ = _verdict(dry_run, current, sample, calendar)
        if before != "accepted":
            continue
        after, what = _verdict(dry_run, new, sample, calendar)
        if after == "refused":
            problems.append(
                Problem(
                    file=sample.file, message=f"the current version accepts this sample; the new one refuses it: {what}"
                )
            )
        elif after == "no answer":
            problems.append(
                Problem(
                    file=sample.file,
                    message=f"the current version accepts this sample; the new one cannot decide it: {what}",
                )
            )
    return problems
