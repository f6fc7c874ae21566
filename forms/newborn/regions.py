"""The regions the service runs in: one entry per provincial policy document (a new region is a new entry)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    division_prefix: str  # GB/T 2260 prefix of the province's division codes


REGIONS: dict[str, Region] = {
    "gansu": Region("gansu", "甘肃省", "62"),
    "guizhou": Region("guizhou", "贵州省", "52"),
}

REGION_CODES: tuple[str, ...] = tuple(REGIONS)
