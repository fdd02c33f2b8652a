"""A small builder that writes Camunda Modeler 5 (Camunda Platform 7) BPMN with diagram.

Used to scaffold the statutory processes in ``processes/``. The committed ``.bpmn``
files are the source of truth that designers open and edit in Camunda Modeler; this
module only saves hand-placing coordinates when a process is first drawn.

Layout: every flow node sits on a grid cell ``(col, row)``; its centre is
``(X0 + col * CW, Y0 + row * RH)``.  Columns grow left to right.  Sequence flows are
orthogonal; ``via`` gives intermediate grid points for flows that must go around
something (back edges), otherwise a route is chosen from the shapes' positions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

X0, Y0, CW, RH = 160, 300, 160, 130
SIZES = {
    "startEvent": (36, 36), "endEvent": (36, 36), "boundaryEvent": (36, 36),
    "intermediateCatchEvent": (36, 36), "intermediateThrowEvent": (36, 36),
    "exclusiveGateway": (50, 50), "parallelGateway": (50, 50), "eventBasedGateway": (50, 50),
}
TASK_SIZE = (100, 80)
EVENTS = {"startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "eventBasedGateway"}


def attr(value) -> str:
    return quoteattr(str(value))


@dataclass
class Field:
    """One ``camunda:formField``."""

    id: str
    label: str
    type: str = "string"
    required: bool = False
    readonly: bool = False
    minlength: int | None = None
    maxlength: int | None = None
    min: int | None = None
    max: int | None = None
    values: list[tuple[str, str]] = field(default_factory=list)
    default: str | None = None

    def xml(self, ind: str) -> str:
        head = f'{ind}<camunda:formField id={attr(self.id)} label={attr(self.label)} type={attr(self.type)}'
        if self.default is not None:
            head += f" defaultValue={attr(self.default)}"
        inner = []
        cons = []
        if self.required:
            cons.append('<camunda:constraint name="required" />')
        if self.readonly:
            cons.append('<camunda:constraint name="readonly" />')
        for name in ("minlength", "maxlength", "min", "max"):
            v = getattr(self, name)
            if v is not None:
                cons.append(f'<camunda:constraint name="{name}" config="{v}" />')
        if cons:
            inner.append(f"{ind}  <camunda:validation>")
            inner += [f"{ind}    {c}" for c in cons]
            inner.append(f"{ind}  </camunda:validation>")
        for vid, vname in self.values:
            inner.append(f"{ind}  <camunda:value id={attr(vid)} name={attr(vname)} />")
        if not inner:
            return head + " />"
        return head + ">\n" + "\n".join(inner) + f"\n{ind}</camunda:formField>"


@dataclass
class Node:
    id: str
    tag: str
    name: str
    col: float
    row: float
    attrs: dict = field(default_factory=dict)
    ext: str = ""          # inner XML of extensionElements
    body: str = ""         # XML after incoming/outgoing (event definitions, script)
    doc: str = ""
    parent: str | None = None
    host: str | None = None
    side: str = "bottom"
    offset: float = 0.0
    at_col: float | None = None
    size: tuple[int, int] | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    default: str | None = None
    bounds: tuple[float, float, float, float] | None = None


@dataclass
class Flow:
    id: str
    src: str
    tgt: str
    name: str | None = None
    cond: str | None = None
    via: list[tuple[float, float]] | None = None
    label_at: tuple[float, float] | None = None


def gx(col: float) -> float:
    return X0 + col * CW


def gy(row: float) -> float:
    return Y0 + row * RH


class Process:
    """A process being drawn; ``render()`` returns the whole BPMN document."""

    def __init__(self, pid: str, name: str, doc: str, messages: dict[str, str] | None = None):
        self.id, self.name, self.doc = pid, name, doc
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.messages = messages or {}

    # -- nodes ---------------------------------------------------------------
    def add(self, tag, nid, name, col, row, **kw) -> str:
        assert nid not in self.nodes, nid
        self.nodes[nid] = Node(nid, tag, name, col, row, **kw)
        return nid

    def start(self, nid, name, col, row, **kw):
        return self.add("startEvent", nid, name, col, row, **kw)

    def end(self, nid, name, col, row, **kw):
        return self.add("endEvent", nid, name, col, row, **kw)

    def xor(self, nid, name, col, row, **kw):
        return self.add("exclusiveGateway", nid, name, col, row, **kw)

    def par(self, nid, name, col, row, **kw):
        return self.add("parallelGateway", nid, name, col, row, **kw)

    def evgw(self, nid, name, col, row, **kw):
        return self.add("eventBasedGateway", nid, name, col, row, **kw)

    def script(self, nid, name, col, row, code: str, **kw):
        code = "\n".join(line.rstrip() for line in _dedent(code).strip("\n").splitlines())
        body = f"<bpmn:script>{escape(code)}</bpmn:script>"
        return self.add("scriptTask", nid, name, col, row, attrs={"scriptFormat": "python"}, body=body, **kw)

    def user(self, nid, name, col, row, *, groups=None, assignee=None, fields=(), due=None,
             form_key="embedded:generated", doc="", **kw):
        attrs = {}
        if assignee:
            attrs["camunda:assignee"] = assignee
        if groups:
            attrs["camunda:candidateGroups"] = groups
        if due:
            attrs["camunda:dueDate"] = due
        attrs["camunda:formKey"] = form_key
        ext = "<camunda:formData>\n" + "\n".join(f.xml("          ") for f in fields) + "\n        </camunda:formData>"
        return self.add("userTask", nid, name, col, row, attrs=attrs, ext=ext, doc=doc, **kw)

    def call(self, nid, name, col, row, called: str, **kw):
        attrs = {"calledElement": called}
        ext = '<camunda:in variables="all" />\n        <camunda:out variables="all" />'
        return self.add("callActivity", nid, name, col, row, attrs=attrs, ext=ext, **kw)

    def rule(self, nid, name, col, row, decision: str, result: str, mapping="singleEntry", **kw):
        attrs = {"camunda:resultVariable": result, "camunda:decisionRef": decision,
                 "camunda:mapDecisionResult": mapping}
        return self.add("businessRuleTask", nid, name, col, row, attrs=attrs, **kw)

    def sub(self, nid, name, col, row, **kw):
        return self.add("subProcess", nid, name, col, row, **kw)

    def timer(self, nid, name, host, expr, *, interrupting=True, side="bottom", offset=0.0, kind="timeDate", **kw):
        body = (f'<bpmn:timerEventDefinition id="{nid}_def">\n'
                f'          <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expr)}</bpmn:{kind}>\n'
                f'        </bpmn:timerEventDefinition>')
        attrs = {} if interrupting else {"cancelActivity": "false"}
        attrs["attachedToRef"] = host
        return self.add("boundaryEvent", nid, name, 0, 0, attrs=attrs, body=body, host=host, side=side,
                        offset=offset, **kw)

    def timer_catch(self, nid, name, col, row, expr, **kw):
        body = (f'<bpmn:timerEventDefinition id="{nid}_def">\n'
                f'          <bpmn:timeDate xsi:type="bpmn:tFormalExpression">{escape(expr)}</bpmn:timeDate>\n'
                f'        </bpmn:timerEventDefinition>')
        return self.add("intermediateCatchEvent", nid, name, col, row, body=body, **kw)

    def message_boundary(self, nid, name, host, message_id, *, interrupting=True, side="bottom", offset=0.0, **kw):
        body = f'<bpmn:messageEventDefinition id="{nid}_def" messageRef="{message_id}" />'
        attrs = {} if interrupting else {"cancelActivity": "false"}
        attrs["attachedToRef"] = host
        return self.add("boundaryEvent", nid, name, 0, 0, attrs=attrs, body=body, host=host, side=side,
                        offset=offset, **kw)

    def message_catch(self, nid, name, col, row, message_id, **kw):
        body = f'<bpmn:messageEventDefinition id="{nid}_def" messageRef="{message_id}" />'
        return self.add("intermediateCatchEvent", nid, name, col, row, body=body, **kw)

    # -- flows ---------------------------------------------------------------
    def flow(self, src, tgt, name=None, cond=None, default=False, via=None, fid=None, label_at=None):
        fid = fid or f"Flow_{src}_{tgt}"
        assert all(f.id != fid for f in self.flows), fid
        f = Flow(fid, src, tgt, name, cond, via, label_at)
        self.flows.append(f)
        self.nodes[src].outgoing.append(fid)
        self.nodes[tgt].incoming.append(fid)
        if default:
            self.nodes[src].default = fid
        return fid

    # -- geometry ------------------------------------------------------------
    def _size(self, n: Node):
        return n.size or SIZES.get(n.tag, TASK_SIZE)

    def _layout(self):
        for n in self.nodes.values():
            if n.tag in ("subProcess", "boundaryEvent"):
                continue
            w, h = self._size(n)
            n.bounds = (gx(n.col) - w / 2, gy(n.row) - h / 2, w, h)
        for n in self.nodes.values():
            if n.tag == "subProcess":
                kids = [k for k in self.nodes.values() if k.parent == n.id and k.bounds]
                kids_b = [k.bounds for k in kids]
                x1 = min(b[0] for b in kids_b) - 50
                y1 = min(b[1] for b in kids_b) - 60
                x2 = max(b[0] + b[2] for b in kids_b) + 50
                y2 = max(b[1] + b[3] for b in kids_b) + 40
                n.bounds = (x1, y1, x2 - x1, y2 - y1)
        for n in self.nodes.values():
            if n.tag == "boundaryEvent":
                hx, hy, hw, hh = self.nodes[n.host].bounds
                cx = gx(n.at_col) if n.at_col is not None else hx + hw / 2 + n.offset
                cy = hy + hh if n.side == "bottom" else hy
                n.bounds = (cx - 18, cy - 18, 36, 36)

    @staticmethod
    def _centre(n: Node):
        x, y, w, h = n.bounds
        if n.tag == "subProcess":  # flows meet an expanded sub-process on its main row
            return x + w / 2, gy(n.row)
        return x + w / 2, y + h / 2

    def _port(self, n: Node, toward):
        """Where a flow leaves/enters ``n`` heading to point ``toward``."""
        x, y, w, h = n.bounds
        cx, cy = self._centre(n)
        tx, ty = toward
        if abs(tx - cx) < 1:
            return (cx, y + h) if ty > cy else (cx, y)
        if abs(ty - cy) < 1:
            return (x + w, cy) if tx > cx else (x, cy)
        # diagonal: prefer vertical for gateways/boundary events when the turn is vertical first
        return (x + w, cy) if tx > cx else (x, cy)

    def _points(self, f: Flow):
        s, t = self.nodes[f.src], self.nodes[f.tgt]
        sc, tc = self._centre(s), self._centre(t)
        if f.via is not None:
            via = [(gx(c), gy(r)) for c, r in f.via]
        elif abs(sc[1] - tc[1]) < 1:
            via = []
        elif s.tag in GATEWAYS or s.tag == "boundaryEvent":
            via = [(sc[0], tc[1])]
        elif t.tag in GATEWAYS:
            via = [(tc[0], sc[1])]
        else:
            mx = (s.bounds[0] + s.bounds[2] + t.bounds[0]) / 2
            via = [(mx, sc[1]), (mx, tc[1])]
        # snap via points that share an axis with a centre
        pts = [self._port(s, via[0] if via else tc)]
        pts += via
        pts.append(self._port(t, via[-1] if via else sc))
        if s.tag == "boundaryEvent" and via and abs(via[0][0] - sc[0]) < 1:
            pts[0] = (sc[0], s.bounds[1] + 36) if via[0][1] > sc[1] else (sc[0], s.bounds[1])
        return pts

    # -- rendering -----------------------------------------------------------
    def _node_xml(self, n: Node, ind: str) -> str:
        a = "".join(f" {k}={attr(v)}" for k, v in n.attrs.items())
        if n.tag == "subProcess":
            pass
        if n.default:
            a += f" default={attr(n.default)}"
        out = [f"{ind}<bpmn:{n.tag} id={attr(n.id)} name={attr(n.name)}{a}>"]
        if n.doc:
            out.append(f"{ind}  <bpmn:documentation>{escape(n.doc)}</bpmn:documentation>")
        if n.ext:
            out.append(f"{ind}  <bpmn:extensionElements>\n{ind}    {n.ext}\n{ind}  </bpmn:extensionElements>")
        out += [f"{ind}  <bpmn:incoming>{i}</bpmn:incoming>" for i in n.incoming]
        out += [f"{ind}  <bpmn:outgoing>{o}</bpmn:outgoing>" for o in n.outgoing]
        if n.tag == "subProcess":
            out += self._elements(n.id, ind + "  ")
        if n.body:
            out.append(ind + "  " + n.body)
        out.append(f"{ind}</bpmn:{n.tag}>")
        return "\n".join(out)

    def _flow_xml(self, f: Flow, ind: str) -> str:
        name = f" name={attr(f.name)}" if f.name else ""
        head = f"{ind}<bpmn:sequenceFlow id={attr(f.id)}{name} sourceRef={attr(f.src)} targetRef={attr(f.tgt)}"
        if not f.cond:
            return head + " />"
        return (head + f">\n{ind}  <bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">"
                f"{escape(f.cond)}</bpmn:conditionExpression>\n{ind}</bpmn:sequenceFlow>")

    def _elements(self, parent, ind):
        out = [self._node_xml(n, ind) for n in self.nodes.values() if n.parent == parent]
        out += [self._flow_xml(f, ind) for f in self.flows if self.nodes[f.src].parent == parent]
        return out

    def _label(self, text, cx, top, width=None):
        w = width or max(40, min(130, 13 * len(text) + 4))
        lines = max(1, -(-13 * len(text) // w))
        h = 14 * lines
        return (f'<bpmndi:BPMNLabel>\n          <dc:Bounds x="{cx - w / 2:.0f}" y="{top:.0f}" '
                f'width="{w:.0f}" height="{h}" />\n        </bpmndi:BPMNLabel>')

    def _shape_xml(self, n: Node) -> str:
        x, y, w, h = n.bounds
        extra = ' isExpanded="true"' if n.tag == "subProcess" else ""
        out = (f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{extra}>\n'
               f'        <dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" />\n')
        if n.tag in EVENTS and n.name:
            top = y + h + 6 if not (n.tag == "boundaryEvent" and n.side == "top") else y - 34
            if n.tag == "boundaryEvent":
                # beside the event, away from the host
                out += "        " + self._label(n.name, x + w + 44, (y + h + 2) if n.side == "bottom" else y - 30, 80) + "\n"
            else:
                out += "        " + self._label(n.name, x + w / 2, top) + "\n"
        elif n.tag in GATEWAYS and n.name:
            out += "        " + self._label(n.name, x + w / 2, y - 34, 100) + "\n"
        out += "      </bpmndi:BPMNShape>"
        return out

    def _edge_xml(self, f: Flow) -> str:
        pts = self._points(f)
        out = [f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">']
        out += [f'        <di:waypoint x="{x:.0f}" y="{y:.0f}" />' for x, y in pts]
        if f.name:
            if f.label_at:
                lx, ly = gx(f.label_at[0]), gy(f.label_at[1])
            else:
                (x1, y1), (x2, y2) = pts[-2], pts[-1]
                if len(pts) > 2 and abs(pts[0][0] - pts[1][0]) < 1:
                    # leaves vertically: label beside the vertical segment
                    (x1, y1), (x2, y2) = pts[0], pts[1]
                    lx, ly = x1 + 8 + 45, (y1 + y2) / 2 - 7
                else:
                    (x1, y1), (x2, y2) = pts[0], pts[1]
                    lx, ly = (x1 + x2) / 2, y1 - 20
            out.append("        " + self._label(f.name, lx, ly, 90))
        out.append("      </bpmndi:BPMNEdge>")
        return "\n".join(out)

    def render(self) -> str:
        self._layout()
        ordered = [n for n in self.nodes.values() if n.tag == "subProcess"]
        ordered += [n for n in self.nodes.values() if n.tag not in ("subProcess", "boundaryEvent")]
        ordered += [n for n in self.nodes.values() if n.tag == "boundaryEvent"]
        msgs = "".join(f'  <bpmn:message id="{mid}" name="{mname}" />\n' for mid, mname in self.messages.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
            'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
            f'id="Definitions_{self.id}" targetNamespace="http://bpmn.io/schema/bpmn" '
            'exporter="Camunda Modeler" exporterVersion="5.31.0" '
            'modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0">\n'
            f'  <bpmn:process id={attr(self.id)} name={attr(self.name)} isExecutable="true" '
            'camunda:historyTimeToLive="3650">\n'
            f"    <bpmn:documentation>{escape(self.doc.strip())}</bpmn:documentation>\n"
            + "\n".join(self._elements(None, "    "))
            + "\n  </bpmn:process>\n"
            + msgs
            + f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{self.id}">\n'
            f'    <bpmndi:BPMNPlane id="BPMNPlane_{self.id}" bpmnElement="{self.id}">\n'
            + "\n".join(self._shape_xml(n) for n in ordered) + "\n"
            + "\n".join(self._edge_xml(f) for f in self.flows) + "\n"
            "    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</bpmn:definitions>\n"
        )


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)
