"""Keeping the application's personal data out of the logs (R8.2), whatever level or formatter is set.

SpiffWorkflow attaches a task's whole data — the application, with ID numbers, phones, addresses and
bank accounts — to its log records as extra attributes (``data``, ``internal_data``, ``transform``)
whenever its loggers' own level is unset, which it is by default; the plain formatter does not print
them, a JSON formatter does. The filter removes them from every record of SpiffWorkflow's loggers and
keeps the record itself (task, state, timing).
"""

from __future__ import annotations

import logging

SPIFF_LOGGERS = ("spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn")
TASK_DATA_ATTRIBUTES = ("data", "internal_data", "transform")


class WithoutTaskData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name in TASK_DATA_ATTRIBUTES:
            record.__dict__.pop(name, None)
        return True


_FILTER = WithoutTaskData()


def keep_task_data_out_of_logs() -> None:
    """Install the filter on SpiffWorkflow's loggers (once; calling again changes nothing)."""
    for name in SPIFF_LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)
