"""Service-task handlers of the newborn service: one module per department, each with the interface of the
department's system (a Protocol), an in-process implementation keeping its records in the engine's ledger,
and the handlers of its topics. :func:`default_registry` registers every topic the BPMN names.
"""

from __future__ import annotations

from .registry import HandlerRegistry


def default_registry() -> HandlerRegistry:
    """A registry with every department's topics, backed by the in-process department systems."""
    from . import cdc, health, hrss, medical_insurance, midwifery, police, service_center

    registry = HandlerRegistry()
    for module in (service_center, midwifery, cdc, police, hrss, medical_insurance, health):
        module.register(registry)
    return registry
