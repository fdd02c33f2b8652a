"""A small writer for Camunda Platform 7 BPMN with a grid layout.

Used by ``tools/procgen_defs.py`` to (re)generate the handling-family processes
(``handling``, ``review``, ``recheck``, ``supervision``, ``screening``).  The
committed ``processes/*.bpmn`` files are the source of truth: edit them in Camunda
Modeler, or change the definitions and regenerate.  Nothing here is imported by the
engine.

Layout: every node sits in a grid cell ``(col, row)`` of its container (the process or
an expanded sub-process).  Columns and rows take the width/height of their largest
node, every node is centred in its cell, so nodes of one row share a centre line and
the diagram reads left to right without overlaps.  Sequence flows are routed
orthogonally: gateways branch out of their top/bottom, flows into a gateway from
another row enter through its top/bottom, back edges (loops) run below the rows
through the gap between them.  Boundary events sit on the bottom edge of their host.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELER = "http://camunda.org/schema/modeler/1.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "camunda": CAMUNDA,
         "modeler": MODELER, "xsi": XSI}

SIZES = {
    "startEvent": (36, 36), "endEvent": (36, 36), "boundaryEvent": (36, 36),
    "intermediateCatchEvent": (36, 36), "intermediateThrowEvent": (36, 36),
    "exclusiveGateway": (50, 50), "parallelGateway": (50, 50), "eventBasedGateway": (50, 50),
    "userTask": (100, 80), "scriptTask": (100, 80), "callActivity": (100, 80),
    "serviceTask": (100, 80), "manualTask": (100, 80), "receiveTask": (100, 80),
}
HGAP, VGAP, PAD = 50, 60, 40
SUB_PAD_TOP = 50  # room for an expanded sub-process' own label


def _b(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _c(tag: str) -> str:
    return f"{{{CAMUNDA}}}{tag}"


@dataclass
class FormField:
    """One ``camunda:formField``: id, Chinese label, type, constraints, enum values."""

    id: str
    label: str
    type: str = "string"
    required: bool = True
    constraints: dict[str, Any] = field(default_factory=dict)
    values: list[tuple[str, str]] = field(default_factory=list)
    default: str | None = None


@dataclass
class Node:
    id: str
    kind: str
    name: str = ""
    col: int = 0
    row: int = 0
    attrs: dict[str, str] = field(default_factory=dict)
    doc: str = ""
    form: list[FormField] = field(default_factory=list)
    script: str | None = None
    timer: str | None = None          # timeDate expression of a timer event
    message: str | None = None        # message id of a message event
    attached_to: str | None = None    # boundary events
    interrupting: bool = True
    slot: float = 0.5                 # boundary position along the host's edge (<= 1: fraction, else px)
    edge: str = "bottom"              # boundary events: "bottom" or "top" edge of the host
    dx: float | None = None           # place at this x offset inside the cell instead of centring
    loop: dict[str, str] | None = None  # multi-instance (collection, elementVariable, sequential)
    call_all: bool = False            # camunda:in/out variables="all" on call activities
    container: "Container | None" = None  # expanded sub-process content
    default_flow: str | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def is_gateway(self) -> bool:
        return self.kind.endswith("Gateway")


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None
    default: bool = False
    back: bool = False       # route below the rows (loops)
    detour: str | None = None  # "above" / "below": run in the gap above/below ``channel``'s row
    channel: int | None = None  # the row whose gap a back edge or detour runs in
    offset: float = 0          # move the detour/back-edge channel further away by this much
    waypoints: list[tuple[float, float]] = field(default_factory=list)
    label_at: tuple[float, float] | None = None


class Container:
    """The flow elements of a process or an expanded sub-process, laid out on a grid."""

    def __init__(self, owner_id: str):
        self.owner_id = owner_id
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self._n = 0
        self.row_top: dict[int, float] = {}
        self.row_h: dict[int, float] = {}

    # -- building -------------------------------------------------------------
    def add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate id {node.id}")
        self.nodes[node.id] = node
        return node

    def start(self, id, name, col, row=0, **kw):
        return self.add(Node(id, "startEvent", name, col, row, **kw))

    def end(self, id, name, col, row=0, **kw):
        return self.add(Node(id, "endEvent", name, col, row, **kw))

    def user(self, id, name, col, row=0, *, groups=None, assignee=None, due=None, form=(), doc="", **kw):
        attrs = {"formKey": "embedded:generated"}
        if groups:
            attrs["candidateGroups"] = groups
        if assignee:
            attrs["assignee"] = assignee
        if due:
            attrs["dueDate"] = due
        return self.add(Node(id, "userTask", name, col, row, attrs=attrs, form=list(form), doc=doc, **kw))

    def script(self, id, name, col, row=0, *, code, doc="", **kw):
        return self.add(Node(id, "scriptTask", name, col, row, script=code.strip("\n"), doc=doc, **kw))

    def xor(self, id, name, col, row=0, **kw):
        return self.add(Node(id, "exclusiveGateway", name, col, row, **kw))

    def event_gateway(self, id, name, col, row=0, **kw):
        return self.add(Node(id, "eventBasedGateway", name, col, row, **kw))

    def catch_message(self, id, name, col, row=0, *, message, **kw):
        return self.add(Node(id, "intermediateCatchEvent", name, col, row, message=message, **kw))

    def receive(self, id, name, col, row=0, *, message, doc="", **kw):
        """A receive task waiting for ``message`` (a boundary timer can bound the wait)."""
        return self.add(Node(id, "receiveTask", name, col, row, attrs={"messageRef": message}, doc=doc, **kw))

    def catch_timer(self, id, name, col, row=0, *, when, **kw):
        return self.add(Node(id, "intermediateCatchEvent", name, col, row, timer=when, **kw))

    def boundary_timer(self, id, name, host, *, when, interrupting, slot=0.5, edge="bottom"):
        return self.add(Node(id, "boundaryEvent", name, attached_to=host, timer=when,
                             interrupting=interrupting, slot=slot, edge=edge))

    def boundary_message(self, id, name, host, *, message, interrupting=True, slot=0.5, edge="bottom"):
        return self.add(Node(id, "boundaryEvent", name, attached_to=host, message=message,
                             interrupting=interrupting, slot=slot, edge=edge))

    def call(self, id, name, col, row=0, *, called, doc="", **kw):
        return self.add(Node(id, "callActivity", name, col, row, attrs={"calledElement": called},
                             call_all=True, doc=doc, **kw))

    def sub(self, id, name, col, row=0, *, doc="", loop=None) -> Container:
        node = self.add(Node(id, "subProcess", name, col, row, doc=doc, loop=loop))
        node.container = Container(id)
        return node.container

    def flow(self, source, target, name="", *, condition=None, default=False, back=False,
             detour=None, channel=None, offset=0):
        self._n += 1
        fid = f"Flow_{source}_{target}"
        if any(f.id == fid for f in self.flows):
            fid = f"{fid}_{self._n}"
        f = Flow(fid, source, target, name, condition, default, back, detour, channel, offset)
        self.flows.append(f)
        self.nodes[source].outgoing.append(fid)
        self.nodes[target].incoming.append(fid)
        if default:
            self.nodes[source].default_flow = fid
        return f

    def chain(self, *ids):
        for a, b in zip(ids, ids[1:]):
            self.flow(a, b)

    # -- layout ---------------------------------------------------------------
    def measure(self) -> tuple[float, float]:
        """Size every node (sub-processes first) and return the content's width/height."""
        for n in self.nodes.values():
            if n.container is not None:
                cw, ch = n.container.measure()
                n.w, n.h = cw + 2 * PAD, ch + PAD + SUB_PAD_TOP
            else:
                n.w, n.h = SIZES[n.kind]
        placed = [n for n in self.nodes.values() if n.attached_to is None]
        cols = sorted({n.col for n in placed})
        rows = sorted({n.row for n in placed})
        self.col_w = {c: max(n.w for n in placed if n.col == c) for c in cols}
        self.row_h = {r: max(n.h for n in placed if n.row == r) for r in rows}
        self.cols, self.rows = cols, rows
        width = sum(self.col_w.values()) + HGAP * (len(cols) - 1)
        height = sum(self.row_h.values()) + VGAP * (len(rows) - 1)
        return width, height

    def place(self, ox: float, oy: float) -> None:
        """Give every node absolute coordinates with the content's top-left at (ox, oy)."""
        x, col_left = ox, {}
        for c in self.cols:
            col_left[c] = x
            x += self.col_w[c] + HGAP
        y = oy
        for r in self.rows:
            self.row_top[r] = y
            y += self.row_h[r] + VGAP
        for n in self.nodes.values():
            if n.attached_to is not None:
                continue
            n.x = col_left[n.col] + (n.dx if n.dx is not None else (self.col_w[n.col] - n.w) / 2)
            n.y = self.row_top[n.row] + (self.row_h[n.row] - n.h) / 2
            if n.container is not None:
                n.container.place(n.x + PAD, n.y + SUB_PAD_TOP)
        for n in self.nodes.values():
            if n.attached_to is not None:
                host = self.nodes[n.attached_to]
                n.row, n.col = host.row, host.col
                n.w, n.h = SIZES["boundaryEvent"]
                n.x = host.x + (host.w * n.slot if n.slot <= 1 else n.slot) - n.w / 2
                n.y = (host.y if n.edge == "top" else host.y + host.h) - n.h / 2
        for f in self.flows:
            self._route(f)

    def _channel_below(self, row: int) -> float:
        return self.row_top[row] + self.row_h[row] + VGAP / 2

    def _channel_above(self, row: int) -> float:
        return self.row_top[row] - VGAP / 2

    def _route(self, f: Flow) -> None:
        s, t = self.nodes[f.source], self.nodes[f.target]
        pts: list[tuple[float, float]]
        backwards = t.cx <= s.cx - 1 and s.attached_to is None
        if f.detour or f.back or backwards:
            if f.detour == "above":
                row = f.channel if f.channel is not None else min(s.row, t.row)
                ch = self._channel_above(row) - f.offset
            else:
                row = f.channel if f.channel is not None else max(s.row, t.row)
                ch = self._channel_below(row) + f.offset
            sy = s.y if ch < s.cy else s.y + s.h
            ty = t.y if ch < t.cy else t.y + t.h
            pts = [(s.cx, sy), (s.cx, ch), (t.cx, ch), (t.cx, ty)]
        elif s.attached_to is not None:
            top = s.edge == "top"
            bx, by = s.cx, (s.y if top else s.y + s.h)
            if abs(t.cx - bx) < t.w / 2 - 5:
                pts = [(bx, by), (bx, t.y + t.h if top else t.y)]
            else:
                pts = [(bx, by), (bx, t.cy), (t.x if t.cx > bx else t.x + t.w, t.cy)]
        elif abs(s.cy - t.cy) < 1:
            pts = [(s.x + s.w, s.cy), (t.x, t.cy)]
        elif s.is_gateway:
            sy = s.y if t.cy < s.cy else s.y + s.h
            if abs(t.cx - s.cx) < 1:
                pts = [(s.cx, sy), (t.cx, t.y if t.cy > s.cy else t.y + t.h)]
            else:
                pts = [(s.cx, sy), (s.cx, t.cy), (t.x, t.cy)]
        elif t.is_gateway:
            ty = t.y + t.h if s.cy > t.cy else t.y
            pts = [(s.x + s.w, s.cy), (t.cx, s.cy), (t.cx, ty)]
        else:
            mx = (s.x + s.w + t.x) / 2
            pts = [(s.x + s.w, s.cy), (mx, s.cy), (mx, t.cy), (t.x, t.cy)]
        f.waypoints = [(round(px), round(py)) for px, py in pts]
        if f.name:
            (x0, y0), (x1, y1) = f.waypoints[0], f.waypoints[1]
            if abs(x0 - x1) < 1:   # first leg vertical: label beside it
                f.label_at = (x0 + 6, min(y0, y1) + abs(y1 - y0) / 2 - 7 if abs(y1 - y0) > 40
                              else (y0 - 20 if y1 < y0 else y0 + 4))
            else:                  # first leg horizontal: label above it
                f.label_at = (x0 + 6, y0 - 20)

    def extent(self) -> tuple[float, float, float, float]:
        xs, ys = [], []
        for n in self.nodes.values():
            xs += [n.x, n.x + n.w]
            ys += [n.y, n.y + n.h + 30]
        return min(xs), min(ys), max(xs), max(ys)


class Process(Container):
    """A BPMN process with its messages, documentation and diagram."""

    def __init__(self, key: str, name: str, doc: str, version_tag: str = "1"):
        super().__init__(key)
        self.key, self.name, self.doc, self.version_tag = key, name, doc, version_tag
        self.messages: dict[str, str] = {}

    def message(self, name: str) -> str:
        mid = f"Message_{name}"
        self.messages[mid] = name
        return mid

    # -- XML ------------------------------------------------------------------
    def to_xml(self) -> bytes:
        self.measure()
        self.place(160, 80)
        defs = etree.Element(_b("definitions"), nsmap=NSMAP)
        defs.set("id", f"Definitions_{self.key}")
        defs.set("targetNamespace", "http://bpmn.io/schema/bpmn")
        defs.set("exporter", "Camunda Modeler")
        defs.set("exporterVersion", "5.31.0")
        defs.set(f"{{{MODELER}}}executionPlatform", "Camunda Platform")
        defs.set(f"{{{MODELER}}}executionPlatformVersion", "7.22.0")
        proc = etree.SubElement(defs, _b("process"), id=self.key, name=self.name, isExecutable="true")
        proc.set(_c("versionTag"), self.version_tag)
        proc.set(_c("historyTimeToLive"), "3650")
        _doc(proc, self.doc)
        _write_container(proc, self)
        for mid, name in self.messages.items():
            etree.SubElement(defs, _b("message"), id=mid, name=name)
        diagram = etree.SubElement(defs, f"{{{BPMNDI}}}BPMNDiagram", id=f"BPMNDiagram_{self.key}")
        plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"BPMNPlane_{self.key}",
                                 bpmnElement=self.key)
        _write_di(plane, self)
        etree.indent(defs, space="  ")
        return etree.tostring(defs, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _doc(parent, text: str) -> None:
    if text:
        etree.SubElement(parent, _b("documentation")).text = text


def _write_form(parent, fields: list[FormField]) -> None:
    form = etree.SubElement(parent, _c("formData"))
    for f in fields:
        el = etree.SubElement(form, _c("formField"), id=f.id, label=f.label, type=f.type)
        if f.default is not None:
            el.set("defaultValue", f.default)
        rules = ([("required", None)] if f.required else []) + list(f.constraints.items())
        if rules:
            val = etree.SubElement(el, _c("validation"))
            for name, config in rules:
                c = etree.SubElement(val, _c("constraint"), name=name)
                if config is not None:
                    c.set("config", str(config))
        for vid, vname in f.values:
            etree.SubElement(el, _c("value"), id=vid, name=vname)


def _write_container(parent, cont: Container) -> None:
    for n in cont.nodes.values():
        el = etree.SubElement(parent, _b(n.kind), id=n.id)
        if n.name:
            el.set("name", n.name)
        if n.kind == "userTask":
            for k, v in n.attrs.items():
                el.set(_c(k), v)
        elif n.kind == "callActivity":
            el.set("calledElement", n.attrs["calledElement"])
            el.set(_c("calledElementBinding"), "latest")
        elif n.kind == "scriptTask":
            el.set("scriptFormat", "python")
        elif n.kind == "receiveTask":
            el.set("messageRef", n.attrs["messageRef"])
        elif n.kind == "boundaryEvent":
            el.set("attachedToRef", n.attached_to)
            if not n.interrupting:
                el.set("cancelActivity", "false")
        if n.default_flow:
            el.set("default", n.default_flow)
        _doc(el, n.doc)
        if n.form or n.call_all:
            ext = etree.SubElement(el, _b("extensionElements"))
            if n.form:
                _write_form(ext, n.form)
            if n.call_all:
                etree.SubElement(ext, _c("in"), variables="all")
                etree.SubElement(ext, _c("out"), variables="all")
        for fid in n.incoming:
            etree.SubElement(el, _b("incoming")).text = fid
        for fid in n.outgoing:
            etree.SubElement(el, _b("outgoing")).text = fid
        if n.loop:
            lc = etree.SubElement(el, _b("multiInstanceLoopCharacteristics"))
            if n.loop.get("sequential"):
                lc.set("isSequential", "true")
            lc.set(_c("collection"), n.loop["collection"])
            lc.set(_c("elementVariable"), n.loop["element"])
        if n.timer:
            td = etree.SubElement(el, _b("timerEventDefinition"), id=f"TimerEventDefinition_{n.id}")
            date = etree.SubElement(td, _b("timeDate"))
            date.set(f"{{{XSI}}}type", "bpmn:tFormalExpression")
            date.text = n.timer
        if n.message:
            etree.SubElement(el, _b("messageEventDefinition"), id=f"MessageEventDefinition_{n.id}",
                             messageRef=n.message)
        if n.script is not None:
            etree.SubElement(el, _b("script")).text = n.script
        if n.container is not None:
            _write_container(el, n.container)
    for f in cont.flows:
        el = etree.SubElement(parent, _b("sequenceFlow"), id=f.id, sourceRef=f.source, targetRef=f.target)
        if f.name:
            el.set("name", f.name)
        if f.condition:
            ce = etree.SubElement(el, _b("conditionExpression"))
            ce.set(f"{{{XSI}}}type", "bpmn:tFormalExpression")
            ce.text = f.condition


def _bounds(parent, x, y, w, h):
    etree.SubElement(parent, f"{{{DC}}}Bounds", x=str(round(x)), y=str(round(y)),
                     width=str(round(w)), height=str(round(h)))


def _text_width(text: str) -> int:
    return sum(14 if ord(ch) > 0x2e80 else 7 for ch in text)


def _write_di(plane, cont: Container) -> None:
    for n in cont.nodes.values():
        sh = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{n.id}_di", bpmnElement=n.id)
        if n.kind == "exclusiveGateway":
            sh.set("isMarkerVisible", "true")
        if n.container is not None:
            sh.set("isExpanded", "true")
        _bounds(sh, n.x, n.y, n.w, n.h)
        if n.name and (n.kind.endswith("Event") or n.is_gateway):
            lw = min(max(_text_width(n.name), 40), 120)
            lines = -(-_text_width(n.name) // 120)
            lab = etree.SubElement(sh, f"{{{BPMNDI}}}BPMNLabel")
            if n.is_gateway:
                _bounds(lab, n.cx - lw - 4, n.y - 14 * lines - 4, lw, 14 * lines)
            elif n.kind == "boundaryEvent" and n.edge == "top":
                _bounds(lab, n.x + n.w + 2, n.y - 14 * lines, lw, 14 * lines)
            elif n.kind == "boundaryEvent":
                _bounds(lab, n.x + n.w + 2, n.y + n.h - 2, lw, 14 * lines)
            else:
                _bounds(lab, n.cx - lw / 2, n.y + n.h + 5, lw, 14 * lines)
    for n in cont.nodes.values():
        if n.container is not None:
            _write_di(plane, n.container)
    for f in cont.flows:
        ed = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{f.id}_di", bpmnElement=f.id)
        for px, py in f.waypoints:
            etree.SubElement(ed, f"{{{DI}}}waypoint", x=str(px), y=str(py))
        if f.name and f.label_at:
            lab = etree.SubElement(ed, f"{{{BPMNDI}}}BPMNLabel")
            _bounds(lab, f.label_at[0], f.label_at[1], min(_text_width(f.name), 140), 14)
