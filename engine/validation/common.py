"""Namespaces, naming helpers and the problem collector shared by the validation modules."""
from __future__ import annotations

import importlib
import importlib.util
import re
from typing import Any, Iterable

from engine.errors import Problem, ScriptError
from engine.validation.results import CallReference

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "DMN 1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "DMN 1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "DMN 1.3",
}
PREFIXES = {
    BPMN_NS: "bpmn",
    BPMNDI_NS: "bpmndi",
    CAMUNDA_NS: "camunda",
    ACTIVITI_NS: "activiti",
    ZEEBE_NS: "zeebe",
    "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://www.omg.org/spec/DD/20100524/DI": "di",
    **{ns: "dmn" for ns in DMN_NAMESPACES},
}
RESAVE_HINT = "open the file in Camunda Modeler (Camunda Platform 7) and save it again"


def local(tag: Any) -> str:
    """The local part of an lxml tag or attribute name ('' for comments and PIs)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def ns(tag: Any) -> str:
    """The namespace of an lxml tag or attribute name ('' when it has none)."""
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def q(name: str) -> str:
    """A BPMN model tag in lxml's ``{namespace}local`` form."""
    return f"{{{BPMN_NS}}}{name}"


def c(name: str) -> str:
    """A Camunda 7 extension attribute or tag in lxml's ``{namespace}local`` form."""
    return f"{{{CAMUNDA_NS}}}{name}"


def short_name(name: str) -> str:
    """``{namespace}local`` as ``prefix:local`` for the namespaces people know."""
    def repl(m: re.Match) -> str:
        prefix = PREFIXES.get(m.group(1))
        return f"{prefix}:{m.group(2)}" if prefix else m.group(2)
    return re.sub(r"\{([^}]*)\}([\w.-]+)", repl, name)


def nearest_id(el) -> str | None:
    """The id of the element or of its nearest ancestor that has one."""
    while el is not None:
        if isinstance(el.tag, str) and el.get("id"):
            return el.get("id")
        el = el.getparent()
    return None


def text_of(el) -> str:
    """The stripped text of an element ('' for None or no text)."""
    return (el.text or "").strip() if el is not None else ""


def label(el) -> str:
    """How a message names an element: its kind and its name (or id)."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", local(el.tag)).lower()
    name = " ".join((el.get("name") or "").split())
    return f"{words} '{name}'" if name else f"{words} '{el.get('id')}'"


class Report:
    """Collects problems; ``ordered`` sorts them as the deployment lists its files."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, file: str, message: str, *, node=None, element_id: str | None = None,
            line: int | None = None, column: int | None = None, hint: str | None = None,
            severity: str = "error") -> Problem:
        """Record a problem, located at ``node`` (its line, its nearest id) unless given."""
        if node is not None:
            line = line or node.sourceline
            element_id = element_id or nearest_id(node)
        problem = Problem(file=file, message=message, line=line, column=column,
                          element_id=element_id, hint=hint, severity=severity)
        self.problems.append(problem)
        return problem

    def extend(self, problems) -> None:
        """Record problems made elsewhere."""
        self.problems.extend(problems)

    def errors_in(self, file: str) -> bool:
        """Whether the file has a problem of severity error."""
        return any(p.file == file and p.severity == "error" for p in self.problems)

    def ordered(self, files: list[str]) -> list[Problem]:
        """By file (in deployment order), then line; each distinct problem once."""
        rank = {name: i for i, name in enumerate(files)}
        seen, out = set(), []
        for p in sorted(self.problems, key=lambda p: (rank.get(p.file, len(rank)), p.line or 0)):
            key = (p.file, p.line, p.element_id, p.message)
            if key not in seen:
                seen.add(key)
                out.append(p)
        return out


class Document:
    """One parsed resource of the deployment: name, "bpmn" or "dmn", and its tree."""

    def __init__(self, name: str, kind: str, root):
        self.name = name
        self.kind = kind
        self.root = root
        self.tree = root.getroottree()
        self._ids: dict[str, Any] | None = None

    def find(self, tag: str, parent=None):
        """Direct BPMN children of the root (or of ``parent``) with this local name."""
        return (parent if parent is not None else self.root).iterfind(q(tag))

    @property
    def ids(self) -> dict[str, Any]:
        """Element by id (the first one, should an id repeat)."""
        if self._ids is None:
            self._ids = {}
            for el in self.root.iter():
                if isinstance(el.tag, str) and el.get("id"):
                    self._ids.setdefault(el.get("id"), el)
        return self._ids

    def by_id(self, element_id: str):
        """The element with this id, or None."""
        return self.ids.get(element_id)


class Deployment:
    """What the checks of one resource need to know about the whole deployment."""

    def __init__(self, parser, report: Report, known_process_keys: Iterable[str],
                 known_decision_keys: Iterable[str] = ()):
        self.parser = parser
        self.report = report
        self.known_process_keys = set(known_process_keys or ())
        self.known_decision_keys = set(known_decision_keys or ())
        self.processes: dict[str, tuple[Document, Any, bool]] = {}
        self.decisions: dict[str, tuple[Document, Any]] = {}
        self.unresolved: list[CallReference] = []

    def preloaded_process(self, pid: str) -> bool:
        """Whether the parser already holds this process (added by the caller beforehand)."""
        return pid in getattr(self.parser, "process_parsers", {})

    def preloaded_decision(self, did: str) -> bool:
        """Whether the parser already holds this decision (added by the caller beforehand)."""
        return did in getattr(self.parser, "dmn_parsers", {})


# --------------------------------------------------------------------------- expressions

def expressions_module():
    """engine.expressions, or None while that module does not exist (its checks are skipped)."""
    if importlib.util.find_spec("engine.expressions") is None:
        return None
    return importlib.import_module("engine.expressions")


def expression_error(text: str, kind: str) -> str | None:
    """Why ``text`` does not compile as an expression of ``kind`` (expressions.KINDS), or None."""
    module = expressions_module()
    if module is None:
        return None
    try:
        problems = module.check_expression(text, kind)
    except ScriptError as exc:
        return exc.message
    return "; ".join(problems) or None
