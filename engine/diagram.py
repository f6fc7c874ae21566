"""A deployed BPMN file's diagram (its DI): drawn as SVG with done, active and overdue steps marked, and
checked before a deployment is stored.

:func:`render_svg` is pure: BPMN bytes and three sets of element ids in, SVG text out. Shapes and edges are
drawn where Camunda Modeler placed them; names are drawn as labels. The SVG is built as an lxml tree, so
ids and names from the file are attribute values and text, always escaped (an id holding ``"`` stays
inside its attribute). A shape without usable bounds, or a waypoint that is not a point, is left out (a
version stored before :func:`diagram_problems` refused them still draws).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree
from lxml.builder import ElementMaker

from .errors import Problem
from .safexml import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SVG = "http://www.w3.org/2000/svg"

STYLE = {  # fill, stroke, stroke width
    "done": ("#e3f4e1", "#3c8d2f", 2),
    "active": ("#ddeeff", "#1f6fd1", 3),
    "overdue": ("#fde2e1", "#c62828", 3),
    "idle": ("#ffffff", "#555555", 1.5),
}
BOUNDS = ("x", "y", "width", "height")

S = ElementMaker(namespace=SVG, nsmap={None: SVG})


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


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def bounds_of(node) -> tuple[float, float, float, float] | None:
    """The ``dc:Bounds`` of a shape or label as (x, y, width, height); None when missing or not numbers (or a
    negative size)."""
    found = node.find(f"{{{DC}}}Bounds")
    if found is None:
        return None
    x, y, w, h = (_number(found.get(k)) for k in BOUNDS)
    if x is None or y is None or w is None or h is None or w < 0 or h < 0:
        return None
    return x, y, w, h


def _waypoints(edge) -> list[tuple[float, float]] | None:
    points = [(_number(p.get("x")), _number(p.get("y"))) for p in edge.findall(f"{{{DI}}}waypoint")]
    if len(points) < 2 or any(x is None or y is None for x, y in points):
        return None
    return points  # type: ignore[return-value]


def diagram_problems(root, filename: str) -> list[Problem]:
    """What a BPMN file's diagram lacks to be drawn: every shape needs ``dc:Bounds`` with numbers, every edge
    two waypoints or more; a problem names the file, the line and the element the shape draws."""
    problems = []
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        element = shape.get("bpmnElement") or shape.get("id")
        label = shape.find(f"{{{BPMNDI}}}BPMNLabel")
        if bounds_of(shape) is None:
            problems.append(
                Problem(
                    file=filename,
                    line=shape.sourceline,
                    element=element,
                    message=(
                        "the diagram shape has no dc:Bounds with numeric x, y, width and height: it cannot be drawn "
                        "(open and save the file in Camunda Modeler)"
                    ),
                )
            )
        elif label is not None and label.find(f"{{{DC}}}Bounds") is not None and bounds_of(label) is None:
            problems.append(
                Problem(
                    file=filename,
                    line=label.sourceline,
                    element=element,
                    message=("the label's dc:Bounds are not numeric x, y, width and height"),
                )
            )
    for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        if _waypoints(edge) is None:
            problems.append(
                Problem(
                    file=filename,
                    line=edge.sourceline,
                    element=edge.get("bpmnElement") or edge.get("id"),
                    message="the diagram edge needs two or more di:waypoint with numeric x and y",
                )
            )
    return problems


def render_svg(bpmn: bytes, done: set[str], active: set[str], overdue: set[str]) -> str:
    root = parse_xml(bpmn)
    elements = {el.get("id"): el for el in root.iter() if el.get("id")}
    shapes: dict[str, _Shape] = {}
    edges: list[list[tuple[float, float]]] = []
    for node in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        element = elements.get(node.get("bpmnElement"))
        bounds = bounds_of(node)
        if element is None or bounds is None:
            continue
        label = node.find(f"{{{BPMNDI}}}BPMNLabel")
        x, y, w, h = bounds
        shapes[element.get("id")] = _Shape(
            kind=_kind(element.tag),
            name=element.get("name") or "",
            x=x,
            y=y,
            w=w,
            h=h,
            label=bounds_of(label) if label is not None else None,
            end=element.tag == f"{{{BPMN}}}endEvent",
        )
    for node in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        points = _waypoints(node)
        if points is not None:
            edges.append(points)

    xs = [s.x + s.w for s in shapes.values()] + [x for pts in edges for x, _ in pts]
    ys = [s.y + s.h + 30 for s in shapes.values()] + [y for pts in edges for _, y in pts]
    width, height = (max(xs) + 40 if xs else 100), (max(ys) + 40 if ys else 100)
    svg = S.svg(
        S.defs(
            S.marker(
                S.path(d="M 0 0 L 10 5 L 0 10 z", fill="#555"),
                id="arrow",
                viewBox="0 0 10 10",
                refX="10",
                refY="5",
                markerWidth="8",
                markerHeight="8",
                orient="auto-start-reverse",
            )
        ),
        S.rect(width="100%", height="100%", fill="#fafafa"),
        width=_fmt(width),
        height=_fmt(height),
        viewBox=f"0 0 {_fmt(width)} {_fmt(height)}",
        **{"font-family": "sans-serif", "font-size": "12"},
    )
    for points in edges:
        svg.append(
            S.polyline(
                points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points),
                fill="none",
                stroke="#555",
                **{"stroke-width": "1.2", "marker-end": "url(#arrow)"},
            )
        )
    for element_id, shape in shapes.items():
        state = (
            "overdue"
            if element_id in overdue
            else "active"
            if element_id in active
            else "done"
            if element_id in done
            else "idle"
        )
        svg.append(_draw(element_id, shape, state))
    return etree.tostring(svg, encoding="unicode")


def _fmt(value: float) -> str:
    return f"{value:.0f}"


def _wrap(name: str, width: int) -> list[str]:
    """Split a (Chinese) name into lines of at most ``width`` characters."""
    return [name[i : i + width] for i in range(0, len(name), width)] or [name]


def _draw(element_id: str, s: _Shape, state: str):
    fill, stroke, width = STYLE[state]
    paint = {"fill": fill, "stroke": stroke, "stroke-width": f"{width + (2 if s.end else 0)}"}
    if s.kind == "event":
        r = s.w / 2
        body = S.circle(cx=_fmt(s.x + r), cy=_fmt(s.y + r), r=_fmt(r), **paint)
    elif s.kind == "gateway":
        cx, cy = s.x + s.w / 2, s.y + s.h / 2
        corners = ((cx, s.y), (s.x + s.w, cy), (cx, s.y + s.h), (s.x, cy))
        body = S.polygon(points=" ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in corners), **paint)
    else:
        body = S.rect(x=_fmt(s.x), y=_fmt(s.y), width=_fmt(s.w), height=_fmt(s.h), rx="10", **paint)
    group = S.g(S.title(f"{s.name or element_id} ({state})"), body, id=element_id, **{"class": state})
    if s.name and s.kind == "task":
        lines = _wrap(s.name, max(int(s.w // 13), 4))
        top = s.y + s.h / 2 - (len(lines) - 1) * 8 + 4
        group.append(
            S.text(
                *(S.tspan(line, x=_fmt(s.x + s.w / 2), y=_fmt(top + 16 * n)) for n, line in enumerate(lines)),
                **{"text-anchor": "middle"},
            )
        )
    elif s.name:
        if s.label:
            tx, ty = s.label[0] + s.label[2] / 2, s.label[1] + s.label[3] - 2
        else:
            tx, ty = s.x + s.w / 2, s.y + s.h + 14
        group.append(S.text(s.name, x=_fmt(tx), y=_fmt(ty), **{"text-anchor": "middle"}))
    return group
