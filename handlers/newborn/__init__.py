"""The newborn birth service (新生儿出生“一件事”): :mod:`.service` is what it registers with the engine; one
module per department, each with the interface of the department's system (a Protocol), an in-process
implementation keeping its records in the engine's ledger, and the handlers of its topics; its policy
(dry run), projection (items and due dates), views (progress texts), regions and sample application.
"""

from __future__ import annotations

from engine.handlers import HandlerRegistry


def register(registry: HandlerRegistry) -> HandlerRegistry:
    """Register every department's topics, backed by the in-process department systems."""
    from . import cdc, health, hrss, medical_insurance, midwifery, police, service_center

    for module in (service_center, midwifery, cdc, police, hrss, medical_insurance, health):
        module.register(registry)
    return registry


def default_registry() -> HandlerRegistry:
    """A registry with every topic the newborn process names (tests wrap it to plant failing departments)."""
    return register(HandlerRegistry())
