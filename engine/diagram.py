"""Render a deployed BPMN file's diagram (its DI) as SVG, with done, active and overdue steps marked.

Pure: BPMN bytes and three sets of element ids in, SVG text out. Shapes and edges are drawn where
Camunda Modeler placed them; names are drawn as labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from .safexml import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

STYLE = {  # fill, stroke, stroke width
    "done": ("#e3f4e1", "#3c8d2f", 2),
    "active": ("#ddeeff", "#1f6fd1", 3),
    "overdue": ("#fde2e1", "#c62828", 3),
    "idle": ("#ffffff", "#555555", 1.5),
}


@dataclass(frozen=True)
class _Shape:
    kind: str  # "event", "gateway", "task"
    name: str
    x: float
    y: float
    w: float
    h: float
    label: tuple[float, float, float, float] | None
    end: bool


def _kind(tag: str) -> str:
    local = tag.rsplit("}", 1)[-1]
    if local.endswith("Event"):
        return "event"
    if local.endswith("Gateway"):
        return "gateway"
    return "task"


def _bounds(node) -> tuple[float, float, float, float]:
    b = node.find(f"{{{DC}}}Bounds")
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def render_svg(bpmn: bytes, done: set[str], active: set[str], overdue: set[str]) -> str:
    root = parse_xml(bpmn)
    elements = {el.get("id"): el for el in root.iter() if el.get("id")}
    shapes: dict[str, _Shape] = {}
    edges: list[tuple[str, list[tuple[float, float]]]] = []
    for node in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        element = elements.get(node.get("bpmnElement"))
        if element is None:
            continue
        label = node.find(f"{{{BPMNDI}}}BPMNLabel")
        kind = _kind(element.tag)
        x, y, w, h = _bounds(node)
        shapes[element.get("id")] = _Shape(
            kind=kind, name=element.get("name") or "", x=x, y=y, w=w, h=h,
            label=_bounds(label) if label is not None and label.find(f"{{{DC}}}Bounds") is not None else None,
            end=element.tag.endswith("endEvent"),
        )
    for node in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        points = [(float(p.get("x")), float(p.get("y"))) for p in node.findall(f"{{{DI}}}waypoint")]
        edges.append((node.get("bpmnElement"), points))

    xs = [s.x + s.w for s in shapes.values()] + [x for _, pts in edges for x, _ in pts]
    ys = [s.y + s.h + 30 for s in shapes.values()] + [y for _, pts in edges for _, y in pts]
    width, height = (max(xs) + 40 if xs else 100), (max(ys) + 40 if ys else 100)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        '<rect width="100%" height="100%" fill="#fafafa"/>',
    ]
    for _, points in edges:
        path = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="#555" stroke-width="1.2" '
                   f'marker-end="url(#arrow)"/>')
    for element_id, shape in shapes.items():
        state = ("overdue" if element_id in overdue else "active" if element_id in active
                 else "done" if element_id in done else "idle")
        out.append(_draw(element_id, shape, state))
    out.append("</svg>")
    return "\n".join(out)


def _wrap(name: str, width: int) -> list[str]:
    """Split a (Chinese) name into lines of at most ``width`` characters."""
    return [name[i:i + width] for i in range(0, len(name), width)] or [name]


def _draw(element_id: str, s: _Shape, state: str) -> str:
    fill, stroke, width = STYLE[state]
    title = f"<title>{escape(s.name or element_id)} ({state})</title>"
    attrs = f'fill="{fill}" stroke="{stroke}" stroke-width="{width + (2 if s.end else 0)}"'
    if s.kind == "event":
        r = s.w / 2
        body = f'<circle cx="{s.x + r:.0f}" cy="{s.y + r:.0f}" r="{r:.0f}" {attrs}/>'
    elif s.kind == "gateway":
        cx, cy = s.x + s.w / 2, s.y + s.h / 2
        body = (f'<polygon points="{cx:.0f},{s.y:.0f} {s.x + s.w:.0f},{cy:.0f} {cx:.0f},{s.y + s.h:.0f} '
                f'{s.x:.0f},{cy:.0f}" {attrs}/>')
    else:
        body = f'<rect x="{s.x:.0f}" y="{s.y:.0f}" width="{s.w:.0f}" height="{s.h:.0f}" rx="10" {attrs}/>'
    text = ""
    if s.name and s.kind == "task":
        lines = _wrap(s.name, max(int(s.w // 13), 4))
        top = s.y + s.h / 2 - (len(lines) - 1) * 8 + 4
        spans = "".join(f'<tspan x="{s.x + s.w / 2:.0f}" y="{top + 16 * n:.0f}">{escape(line)}</tspan>'
                        for n, line in enumerate(lines))
        text = f'<text text-anchor="middle">{spans}</text>'
    elif s.name:
        if s.label:
            tx, ty = s.label[0] + s.label[2] / 2, s.label[1] + s.label[3] - 2
        else:
            tx, ty = s.x + s.w / 2, s.y + s.h + 14
        text = f'<text x="{tx:.0f}" y="{ty:.0f}" text-anchor="middle">{escape(s.name)}</text>'
    return f'<g id="{escape(element_id)}" class="{state}">{title}{body}{text}</g>'
