"""The diagram renderer and its deployment check (issue 19, findings 1 and 5): ids and names from a process file
stay attribute values and text, a shape without usable bounds is left out instead of failing, and the check
names each shape that cannot be drawn."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.diagram import diagram_problems, render_svg
from engine.safexml import is_ncname, parse_xml
from tests.support.diagrams import BPMN, PAYLOAD_ID, PAYLOAD_NAME, with_note

SVG = "{http://www.w3.org/2000/svg}"


def drawn(bpmn: bytes, **marks) -> etree._Element:
    text = render_svg(bpmn, marks.get("done", set()), marks.get("active", set()), marks.get("overdue", set()))
    return etree.fromstring(text.encode("utf-8"))


def test_an_id_with_quotes_stays_inside_its_attribute():
    svg = drawn(with_note(PAYLOAD_ID, PAYLOAD_NAME))
    attributes = {name for element in svg.iter() for name in element.attrib}
    assert not {"autofocus", "onfocus", "tabindex", 'x="'} & attributes
    assert not [name for name in attributes if name.lower().startswith("on")]
    [group] = [g for g in svg.iter(f"{SVG}g") if g.get("id") == PAYLOAD_ID]
    assert group.findtext(f"{SVG}title") == f"{PAYLOAD_NAME} (idle)"  # the name is text, not markup
    assert not list(svg.iter(f"{SVG}script"))


def test_steps_are_marked_and_named():
    svg = drawn(BPMN, done={"start"}, active={"birth_certificate_review"}, overdue={"hukou_review"})
    classes = {g.get("id"): g.get("class") for g in svg.iter(f"{SVG}g")}
    assert classes["start"] == "done" and classes["birth_certificate_review"] == "active"
    assert classes["hukou_review"] == "overdue" and classes["end_completed"] == "idle"
    assert "出生医学证明签发审核" in "".join(svg.itertext())
    assert len(list(svg.iter(f"{SVG}polyline"))) > 10


@pytest.mark.parametrize(
    "shape",
    [
        '<bpmndi:BPMNShape id="note_di" bpmnElement="note_1" />',
        (
            '<bpmndi:BPMNShape id="note_di" bpmnElement="note_1"><dc:Bounds x="a" y="1" width="2" height="3" '
            "/></bpmndi:BPMNShape>"
        ),
        (
            '<bpmndi:BPMNShape id="note_di" bpmnElement="note_1"><dc:Bounds x="1" y="1" width="NaN" height="3" '
            "/></bpmndi:BPMNShape>"
        ),
        '<bpmndi:BPMNShape id="note_di" bpmnElement="note_1"><dc:Bounds x="1" y="2" /></bpmndi:BPMNShape>',
    ],
)
def test_a_shape_without_usable_bounds_is_left_out_and_the_rest_drawn(shape):
    bpmn = with_note("note_1").replace(
        b'<bpmndi:BPMNShape id="note_di" bpmnElement="note_1"><dc:Bounds x="170" y="80" width="120" height="40" />'
        b"</bpmndi:BPMNShape>",
        shape.encode(),
    )
    svg = drawn(bpmn, active={"birth_certificate_review"})
    ids = {g.get("id") for g in svg.iter(f"{SVG}g")}
    assert "note_1" not in ids and "birth_certificate_review" in ids
    [problem] = diagram_problems(parse_xml(bpmn), "newborn_birth.bpmn")
    assert problem.element == "note_1" and problem.file == "newborn_birth.bpmn" and problem.line > 390
    assert "dc:Bounds" in problem.message


def test_an_edge_without_points_is_left_out_and_named():
    bpmn = BPMN.replace(b'<di:waypoint x="206" y="530" />', b'<di:waypoint x="2o6" y="530" />', 1)
    assert bpmn != BPMN
    drawn(bpmn)
    [problem] = diagram_problems(parse_xml(bpmn), "newborn_birth.bpmn")
    assert problem.element == "flow_start_determine_time_limits" and "waypoint" in problem.message


def test_the_bundled_diagram_has_nothing_to_refuse():
    assert diagram_problems(parse_xml(BPMN), "newborn_birth.bpmn") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("start", True),
        ("Activity_0x1y2z", True),
        ("_a-b.c", True),
        ("出生登记", True),
        ("a\u00b7b", True),
        ("", False),
        ("1a", False),
        ("-a", False),
        ("a:b", False),
        ("a b", False),
        ('a"b', False),
        ("a<b", False),
        ("a&b", False),
        ("a\u202eb", False),
        ("a\n", False),
        (PAYLOAD_ID, False),
    ],
)
def test_an_id_is_an_xml_ncname(text, expected):
    assert is_ncname(text) is expected
