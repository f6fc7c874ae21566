"""Times in process files, read on the service's clock (never the machine's, so tests can move it).

``resolve_time`` turns what a ``camunda:dueDate`` or a timer holds — an ISO 8601 date-time or an ISO
duration counted from now, or a JUEL expression giving either — into an aware datetime. The timer event
definitions below use it, so boundary timers fire at exactly the due date their user task shows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from ..calendar.workdays import END_OF_DAY
from .script_engine import compile_juel


class InvalidTime(ValueError):
    pass


def resolve_time(value, now: datetime) -> datetime:
    """An aware datetime from a date-time, a date (end of that day), or an ISO duration from ``now``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)
    if isinstance(value, date):
        return datetime.combine(value, END_OF_DAY, tzinfo=now.tzinfo)
    text = str(value).strip()
    try:
        if text[:1].upper() == "P":
            parsed = TimerEventDefinition.parse_iso_duration(text)
            return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        moment = datetime.fromisoformat(text)
    except Exception as err:
        raise InvalidTime(f"{text!r} is neither an ISO 8601 date-time nor a duration") from err
    if len(text) == 10:  # a bare date: due by the end of that day
        moment = datetime.combine(moment.date(), END_OF_DAY)
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


def _fires_at(definition, my_task) -> datetime:
    engine = my_task.workflow.script_engine
    stored = my_task._get_internal_data("event_value")
    if stored is None:
        now = engine.clock.now()
        moment = resolve_time(engine.evaluate(my_task, definition.expression), now)
        my_task._set_internal_data(event_value=moment.isoformat(), event_started=now.isoformat())
        return moment
    return datetime.fromisoformat(stored)


def timer_started(my_task) -> datetime | None:
    """When a date or duration timer started waiting (None: a cycle, or a timer of an older release)."""
    stored = my_task._get_internal_data("event_started")
    return datetime.fromisoformat(stored) if stored else None


def recount_timer(my_task, calendar) -> tuple[datetime, datetime] | None:
    """Evaluate a waiting date or duration timer again as at the moment it started, on ``calendar`` (R5.1:
    a provisional year's notice was loaded); (old, new) moments, or None when it cannot be recounted."""
    definition = getattr(my_task.task_spec, "event_definition", None)
    started = timer_started(my_task)
    if not isinstance(definition, _ClockTimer) or started is None:
        return None
    old = datetime.fromisoformat(my_task._get_internal_data("event_value"))
    value = compile_juel(definition.expression).evaluate(my_task.data, now=started, calendar=calendar)
    new = resolve_time(value, started)
    my_task._set_internal_data(event_value=new.isoformat())
    return old, new


class _ClockTimer(TimerEventDefinition):
    """A timer that reads the service clock (the base of the date and duration timers)."""

    def has_fired(self, my_task):
        if _fires_at(self, my_task) <= my_task.workflow.script_engine.clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockTimeDate(_ClockTimer, TimeDateEventDefinition):
    """``bpmn:timeDate``: fires at a date-time."""


class ClockDuration(_ClockTimer, DurationTimerEventDefinition):
    """``bpmn:timeDuration``: fires a duration after the event starts waiting."""


def parse_cycle(text: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """``R<n>/<duration>`` (first after one duration from now), or with an explicit start or end."""
    parts = text.strip().upper().lstrip("R").split("/")
    try:
        if len(parts) == 2 and parts[1].startswith("P"):
            cycles = int(parts[0]) if parts[0] else -1
            duration = TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(parts[1]), now
            )
            return cycles, now + duration, duration
        return TimerEventDefinition.parse_iso_recurring_interval(text.strip())
    except Exception as err:
        raise InvalidTime(f"{text!r} is not an ISO 8601 repeating interval such as R3/PT1H") from err


class ClockCycle(CycleTimerEventDefinition):
    """``bpmn:timeCycle``: fires every interval, ``n`` times (``R/…`` for ever)."""

    def cycle_complete(self, my_task):
        engine = my_task.workflow.script_engine
        now = engine.clock.now()
        value = my_task._get_internal_data("event_value")
        if value is None:
            cycles, start, duration = parse_cycle(str(engine.evaluate(my_task, self.expression)), now)
            value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if value["cycles"] != 0:
            upcoming = datetime.fromisoformat(value["next"])
            if upcoming <= now:
                value["next"] = (upcoming + timedelta(seconds=value["duration"])).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=value)
        return ready


def fire_time(my_task) -> datetime | None:
    """When a waiting timer task fires next (None for anything else)."""
    definition = getattr(my_task.task_spec, "event_definition", None)
    if isinstance(definition, ClockCycle):
        value = my_task._get_internal_data("event_value")
        if value is None or value["cycles"] == 0:
            return None
        return datetime.fromisoformat(value["next"])
    if not isinstance(definition, _ClockTimer):
        return None
    return _fires_at(definition, my_task)
