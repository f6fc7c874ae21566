"""The script engine SpiffWorkflow calls for every condition and expression: JUEL, never Python.

Conditions on sequence flows, ``camunda:dueDate`` and timer texts are JUEL as Camunda 7 reads them
(``${chosen.hukou_registration}``; a text without ``${...}`` is a literal such as ``P3D``). Each
expression is parsed once and kept; evaluation is the restricted interpreter of ``engine.expressions``
over the task's data. Script tasks and Python are refused.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.clock import Clock
from engine.expressions import ExpressionError, juel

if TYPE_CHECKING:  # (the calendar sources read the database: not imported by the parser's users)
    from engine.calendar import WorkdayCalendar
    from engine.calendar_source import Calendars


class _NoPython(BasePythonScriptEngineEnvironment):
    def evaluate(self, expression, context, external_context=None):
        raise ExpressionError("Python expressions are not evaluated", expression=expression)

    def execute(self, script, context, external_context=None):
        raise ExpressionError("script tasks are not supported", expression=script)


@lru_cache(maxsize=4096)
def compile_juel(text: str):
    """The parsed form of a JUEL text (cached: the same texts recur in every instance)."""
    return juel.compile(text)


def script_expression(script: str) -> str:
    """A script task's text as a JUEL expression (``${...}`` added when the script is bare)."""
    text = script.strip()
    return text if text.startswith(("${", "#{")) else "${" + text + "}"


class JuelScriptEngine(PythonScriptEngine):
    """Evaluates JUEL over task data; ``clock`` is the service clock that timers read, ``calendars`` gives the
    working-day calendar ``workdays()`` counts on (``.current()``)."""

    def __init__(self, clock: Clock | None = None, calendars: Calendars | None = None) -> None:
        super().__init__(environment=_NoPython())
        self.clock = clock or Clock()
        self.calendars = calendars

    def calendar(self) -> WorkdayCalendar | None:
        """The working-day calendar of this evaluation (None: ``workdays()`` is refused)."""
        return self.calendars.current() if self.calendars is not None else None

    def validate(self, expression: str) -> None:
        compile_juel(expression)

    def evaluate(self, task, expression, external_context=None):
        try:
            compiled = compile_juel(expression)
            context = task.data if not external_context else {**external_context, **task.data}
            return compiled.evaluate(context, now=self.clock.now(), calendar=self.calendar())
        except ExpressionError as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {err}", task=task, exception=err
            ) from err

    def execute(self, task, script, external_context=None):
        """A script task holds one JUEL expression (checked at deployment); it is evaluated, not run."""
        self.evaluate(task, script_expression(script), external_context)
        return True
