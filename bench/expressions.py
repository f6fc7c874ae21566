"""The cost of the restricted evaluators: one parsed JUEL condition, and a 20-row FEEL decision table.

Both are parsed once (as at deployment) and then evaluated many times; the figures are microseconds per
evaluation, to set beside a request's milliseconds.
"""

from __future__ import annotations

import time
from datetime import datetime

from engine.bpmn.script_engine import compile_juel
from engine.dmn import evaluate_decision, parse_dmn

CONDITION = "${chosen.hukou_registration && decision == 'approve' && !empty application.hukou}"
REGIONS = ["gansu", "guizhou", "shaanxi", "qinghai", "ningxia"]
ITEMS = ["birth_certificate", "hukou_registration", "social_security_card", "medical_insurance"]


def _table() -> bytes:
    """A UNIQUE table of 20 rows (5 regions × 4 items) with a list, a range and a not() in its cells."""
    rules = []
    for n, (region, item) in enumerate((r, i) for r in REGIONS for i in ITEMS):
        rules.append(f"""
      <rule id="r{n}">
        <inputEntry id="r{n}a"><text>"{region}"</text></inputEntry>
        <inputEntry id="r{n}b"><text>"{item}","{item}_x"</text></inputEntry>
        <inputEntry id="r{n}c"><text>[0..365]</text></inputEntry>
        <inputEntry id="r{n}d"><text>not("unknown")</text></inputEntry>
        <outputEntry id="r{n}o"><text>{n % 7 + 1}</text></outputEntry>
      </rule>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bench" name="bench" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="days" name="days">
    <decisionTable id="t" hitPolicy="UNIQUE">
      <input id="i1"><inputExpression id="e1" typeRef="string"><text>region</text></inputExpression></input>
      <input id="i2"><inputExpression id="e2" typeRef="string"><text>item</text></inputExpression></input>
      <input id="i3"><inputExpression id="e3" typeRef="integer"><text>facts.age_days</text></inputExpression></input>
      <input id="i4">
        <inputExpression id="e4" typeRef="string"><text>facts.marriage_status</text></inputExpression></input>
      <output id="o" name="working_days" typeRef="integer" />{"".join(rules)}
    </decisionTable>
  </decision>
</definitions>""".encode()


def _per_call_us(call, seconds: float = 0.5) -> float:
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            call()
        calls += 100
    return elapsed / calls * 1e6


def measure() -> tuple[float, float]:
    """(µs per condition evaluation, µs per 20-row decision table evaluation)."""
    condition = compile_juel(CONDITION)
    data = {"chosen": {"hukou_registration": True}, "decision": "approve", "application": {"hukou": {"a": 1}}}
    assert condition.evaluate(data) is True
    parsed = parse_dmn(_table(), "bench.dmn")
    assert not parsed.problems, parsed.problems
    now = datetime.now().astimezone()
    variables = {
        "region": "qinghai",
        "item": "medical_insurance",
        "facts": {"age_days": 3, "marriage_status": "married"},
    }
    row = REGIONS.index("qinghai") * len(ITEMS) + ITEMS.index("medical_insurance")
    assert evaluate_decision(parsed, "days", variables, now=now).mapped("singleEntry") == row % 7 + 1
    return (
        _per_call_us(lambda: condition.evaluate(data)),
        _per_call_us(lambda: evaluate_decision(parsed, "days", variables, now=now)),
    )
