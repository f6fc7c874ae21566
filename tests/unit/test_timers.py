"""Timers on the service clock: dates, durations, cycles (R/…) and JUEL-valued texts; never the machine clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from engine.bpmn.script_engine import JuelScriptEngine
from engine.bpmn.timers import InvalidTime, parse_cycle, resolve_time
from engine.business_rules import ProcessParser, StateSerializer
from engine.clock import Clock
from engine.runtime import advance, completed_tasks, waiting_timers
from tests.support.calendars import FIXED_CALENDARS

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=CST)

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" camunda:formKey="window_intake_review" camunda:candidateGroups="service_center">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="remind" cancelActivity="false" attachedToRef="review">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:TIMER xsi:type="bpmn:tFormalExpression"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">TEXT</bpmn:TIMER></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="reminded"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="reminded" />
  </bpmn:process>
</bpmn:definitions>"""


def workflow_with(timer: str, text: str, clock: Clock, data=None):
    parser = ProcessParser()
    parser.add_bpmn_bytes(BPMN.replace("TIMER", timer).replace("TEXT", text).encode(), "t.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("p"), script_engine=JuelScriptEngine(clock, FIXED_CALENDARS))
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data or {})
    advance(workflow)
    return workflow


def reminders(workflow) -> int:
    return len([t for t in completed_tasks(workflow) if t.task_spec.bpmn_id == "reminded"])


def fixed_clock() -> Clock:
    return Clock(NOW - datetime.now(CST))


@pytest.mark.parametrize(
    "timer, text, fires",
    [
        ("timeDuration", "P1D", NOW + timedelta(days=1)),
        ("timeDuration", "PT17H", NOW + timedelta(hours=17)),
        ("timeDate", "2026-12-01T17:00:00+08:00", datetime(2026, 12, 1, 17, 0, tzinfo=CST)),
        ("timeDate", "${limit}", datetime(2026, 11, 30, 9, 0, tzinfo=CST)),
    ],
)
def test_a_timer_fires_on_the_service_clock(timer, text, fires):
    clock = fixed_clock()
    workflow = workflow_with(timer, text, clock, {"limit": "2026-11-30T09:00:00+08:00"})
    [(_, moment)] = waiting_timers(workflow)
    assert abs(moment - fires) < timedelta(seconds=5)
    clock.advance(fires - clock.now() - timedelta(minutes=1))
    workflow.refresh_timers()
    advance(workflow)
    assert reminders(workflow) == 0
    clock.advance(timedelta(minutes=2))
    workflow.refresh_timers()
    advance(workflow)
    assert reminders(workflow) == 1


def test_a_cycle_fires_n_times_and_survives_a_save():
    clock = fixed_clock()
    workflow = workflow_with("timeCycle", "R2/PT1H", clock)
    serializer = StateSerializer()
    spec = workflow.spec
    for expected in (1, 2, 2):
        clock.advance(timedelta(hours=1, seconds=1))
        workflow = serializer.loads(serializer.dumps(workflow), spec, {}, JuelScriptEngine(clock, FIXED_CALENDARS))
        workflow.refresh_timers()
        advance(workflow)
        assert reminders(workflow) == expected
    assert waiting_timers(workflow) == []  # both rounds done: nothing left to schedule


def test_resolve_time_and_cycles():
    assert resolve_time("P3D", NOW) == NOW + timedelta(days=3)
    assert resolve_time("2026-12-01", NOW) == datetime(2026, 12, 1, 23, 59, 59, tzinfo=CST)
    assert parse_cycle("R3/PT1H", NOW) == (3, NOW + timedelta(hours=1), timedelta(hours=1))
    with pytest.raises(InvalidTime):
        resolve_time("soon", NOW)
    with pytest.raises(InvalidTime):
        parse_cycle("every hour", NOW)
