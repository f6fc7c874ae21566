"""The bundled newborn diagram with a note (a text annotation) an analyst could add in Camunda Modeler: its id
and name chosen by the test (a script payload, a plain id), its shape with or without ``dc:Bounds``."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
BPMN = (WORKFLOWS / "newborn_birth.bpmn").read_bytes()

# What broke out of the old renderer's <g id="..."> (issue 19): focus by itself, then run the handler.
PAYLOAD_ID = 'note" autofocus="" tabindex="0" onfocus="alert(document.domain)" x="'
PAYLOAD_NAME = '<script>alert("name")</script>'


def with_note(note_id: str = "note_1", name: str = "备注", bounds: bool = True, bpmn: bytes = BPMN) -> bytes:
    """``bpmn`` with a text annotation ``note_id`` named ``name`` and its shape (``bounds=False``: a shape
    without ``dc:Bounds``, as a hand-edited or generated file may have)."""
    annotation = (
        f"<bpmn:textAnnotation id={quoteattr(note_id)} name={quoteattr(name)}><bpmn:text>备注</bpmn:text>"
        f"</bpmn:textAnnotation>"
    )
    shape = (
        f'<bpmndi:BPMNShape id="note_di" bpmnElement={quoteattr(note_id)}>'
        + ('<dc:Bounds x="170" y="80" width="120" height="40" />' if bounds else "")
        + "</bpmndi:BPMNShape>"
    )
    text = bpmn.decode("utf-8").replace("</bpmn:process>", annotation + "</bpmn:process>", 1)
    text = text.replace("</bpmndi:BPMNPlane>", shape + "</bpmndi:BPMNPlane>", 1)
    return text.encode("utf-8")
