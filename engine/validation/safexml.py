"""Parsing uploaded XML without trusting it, and checking it against the BPMN/DMN schemas.

Uploaded files are hostile until proven otherwise: the size is capped, any DTD in the
prolog is refused before lxml sees the bytes (XXE, billion laughs, quadratic blowup,
external DTDs), and lxml itself runs with entity resolution, DTD loading, network
access and huge trees switched off.  Every refusal is a located ``Problem``.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

from lxml import etree

from engine.errors import DeployError, Problem
from engine.validation.common import (
    BPMN_NS, DMN_NAMESPACES, RESAVE_HINT, Document, Report, local, ns, short_name,
)

#: Largest resource accepted, in bytes; callers may pass their own limit.
MAX_RESOURCE_BYTES = 5 * 1024 * 1024
#: Schema errors reported per file; the rest are summarised in one line.
MAX_SCHEMA_PROBLEMS = 20
# Same suffixes as engine/deploy.py; anything else (e.g. Camunda .form files) is not ours.
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2")
DMN_SUFFIXES = (".dmn", ".dmn11.xml", ".dmn13.xml")
NOT_XML_HINT = "the file is damaged or is not a BPMN/DMN file; export it again from Camunda Modeler"
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _refused(filename: str, message: str, line: int | None = None, hint: str | None = None) -> DeployError:
    return DeployError([Problem(file=filename, line=line, message=message, hint=hint)])


def _decode_for_scan(data: bytes, filename: str) -> str:
    """The text as lxml will read it, for the prolog scan and line numbers."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if data.startswith(b"<\x00"):
        return data.decode("utf-16-le", errors="replace")
    if data.startswith(b"\x00<"):
        return data.decode("utf-16-be", errors="replace")
    m = re.match(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", data[:200])
    declared = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return data.decode(declared, errors="replace")
    except LookupError:
        raise _refused(filename, f"unknown character encoding '{declared}' in the XML declaration", 1,
                       "save the file as UTF-8 (Camunda Modeler always does)") from None


def _refuse_dtd(text: str, filename: str) -> None:
    """Walk the prolog; refuse any DOCTYPE (a DTD is never needed for BPMN or DMN)."""
    i, n = (1 if text.startswith("\ufeff") else 0), len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if text.startswith("<?", i):
            end = text.find("?>", i)
            i = n if end < 0 else end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i)
            i = n if end < 0 else end + 3
        elif text.startswith("<!", i):
            line = text.count("\n", 0, i) + 1
            decl = text[i:i + 4096]
            entity = re.search(r"<!ENTITY\s+(%\s*)?([\w.:-]+)", decl)
            if entity:
                line += decl.count("\n", 0, entity.start())
                message = f"entity declaration '{entity.group(2)}' refused: uploaded files may not declare entities"
            elif re.match(r"<!DOCTYPE\s+[\w.:-]+\s+(SYSTEM|PUBLIC)\b", decl, re.IGNORECASE):
                message = "DOCTYPE with an external DTD refused: uploaded files may not load DTDs"
            else:
                message = "DOCTYPE declaration refused: uploaded files may not contain a DTD"
            raise _refused(filename, message, line,
                           "BPMN and DMN files never need a DOCTYPE; remove it, or " + RESAVE_HINT)
        elif text.startswith("<", i):
            return  # the root element starts here
        elif i < n:
            # Not markup we understand (or an encoding such as EBCDIC that hides it):
            # refuse rather than let lxml guess what the prolog says.
            raise _refused(filename, "not well-formed XML: the content does not start with an XML element",
                           text.count("\n", 0, i) + 1, NOT_XML_HINT)


def _size(n: int) -> str:
    if n >= 1048576:
        return f"{n / 1048576:.1f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


def _syntax_problem(filename: str, err) -> Problem:
    message = (getattr(err, "message", None) or str(err)).strip()
    if "Excessive depth" in message:
        message = "elements are nested too deeply (more than 256 levels)"
    elif "huge" in message.lower():
        message = "a text node or attribute is too large"
    return Problem(file=filename, line=getattr(err, "line", None) or None,
                   column=getattr(err, "column", None) or None,
                   message=f"not well-formed XML: {message}", hint=NOT_XML_HINT)


def safe_parse_xml(data: bytes, filename: str, *, max_bytes: int = MAX_RESOURCE_BYTES):
    """The root element of an uploaded XML resource; DeployError with one Problem when refused."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = bytes(data)
    if not data.strip():
        raise _refused(filename, "the file is empty", hint="upload the .bpmn or .dmn file saved by Camunda Modeler")
    if len(data) > max_bytes:
        raise _refused(filename, f"the file is {_size(len(data))}; the limit is {_size(max_bytes)}",
                       hint="split the model into several files connected by call activities")
    _refuse_dtd(_decode_for_scan(data, filename), filename)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             dtd_validation=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        # The parser's own log: the exception's log may still hold entries of earlier parses.
        errors = [e for e in parser.error_log if e.level_name in ("ERROR", "FATAL")]
        raise DeployError([_syntax_problem(filename, errors[0] if errors else exc)]) from None
    except (ValueError, etree.LxmlError) as exc:
        raise DeployError([_syntax_problem(filename, exc)]) from None
    if root is None:
        raise _refused(filename, "not well-formed XML: no root element", hint=NOT_XML_HINT)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # belt and braces: the scan refused them
        raise _refused(filename, "DOCTYPE declaration refused: uploaded files may not contain a DTD", 1)
    return root


def kind_by_name(name: str) -> str:
    """"bpmn", "dmn", "xml" (decided by content) or "other" (not ours) by file name."""
    lower = name.lower()
    if lower.endswith(BPMN_SUFFIXES):
        return "bpmn"
    if lower.endswith(DMN_SUFFIXES):
        return "dmn"
    return "xml" if lower.endswith(".xml") else "other"


def load(name: str, data: bytes, kind: str, report: Report, max_bytes: int) -> Document | None:
    """Parse one resource and check its root element; None (and problems) when refused."""
    try:
        root = safe_parse_xml(data, name, max_bytes=max_bytes)
    except DeployError as exc:
        report.extend(exc.problems)
        return None
    namespace, tag = ns(root.tag), local(root.tag)
    if tag == "definitions" and namespace == BPMN_NS:
        actual = "bpmn"
    elif tag == "definitions" and namespace in DMN_NAMESPACES:
        actual = "dmn"
    else:
        if tag == "definitions" and "dmn" in namespace.lower():
            message, hint = (f"unsupported DMN version (namespace {namespace})",
                             "save the decision with Camunda Modeler (DMN 1.3)")
        else:
            message = (f"root element is <{short_name(root.tag)}>; expected <bpmn:definitions> (BPMN 2.0) "
                       "or <dmn:definitions> (DMN 1.1-1.3)")
            hint = "upload the .bpmn or .dmn file saved by Camunda Modeler"
        report.add(name, message, node=root, hint=hint)
        return None
    if kind in ("bpmn", "dmn") and actual != kind:
        report.add(name, f"the file name says {kind.upper()} but the content is {actual.upper()}",
                   node=root, hint=f"rename the file to end in .{actual}")
        return None
    return Document(name, actual, root)


# --------------------------------------------------------------------------- schemas

@lru_cache(maxsize=None)
def _schema(key: str) -> etree.XMLSchema:
    """The BPMN 2.0 schema, or the DMN schema of a namespace, as SpiffWorkflow ships them."""
    if key == "bpmn":
        import SpiffWorkflow
        path = os.path.join(os.path.dirname(SpiffWorkflow.__file__), "bpmn", "parser", "schema", "BPMN20.xsd")
    else:
        from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS
        path = SCHEMAS[key]
    # The schemas import their siblings by relative path; nothing is fetched from the network.
    return etree.XMLSchema(etree.parse(path, etree.XMLParser(no_network=True, resolve_entities=False)))


def _element_at_line(root, line: int | None):
    if line:
        for el in root.iter():
            if isinstance(el.tag, str) and el.sourceline == line:
                return el
    return None


def _schema_message(message: str) -> str:
    message = short_name(message)
    m = re.search(r"Expected is one of \((.*)\)", message)  # can list dozens of names
    if m:
        names = [n.strip() for n in m.group(1).split(",") if n.strip()]
        if len(names) > 6:
            message = message.replace(m.group(1), " " + ", ".join(names[:6]) + ", … ")
    return message


def validate_schema(doc: Document, report: Report) -> None:
    """Check a document against its schema; each error located at its line and nearest id."""
    if doc.kind == "bpmn":
        key, what = "bpmn", "BPMN"
        # bpmn-js writes correlation properties in a shape the schema rejects; SpiffWorkflow's
        # own validator renames the element the same way before validating.
        for expr in doc.root.iterfind(f".//{{{BPMN_NS}}}correlationPropertyRetrievalExpression/"
                                      f"{{{BPMN_NS}}}formalExpression"):
            expr.tag = f"{{{BPMN_NS}}}messagePath"
    else:
        key = ns(doc.root.tag)
        what = DMN_NAMESPACES[key]
    schema = _schema(key)
    if schema.validate(doc.tree):
        return
    errors = list(schema.error_log)
    for err in errors[:MAX_SCHEMA_PROBLEMS]:
        report.add(doc.name, f"{what} schema: {_schema_message(err.message)}",
                   node=_element_at_line(doc.root, err.line), line=err.line or None,
                   hint="correct the element as the message says, or " + RESAVE_HINT)
    if len(errors) > MAX_SCHEMA_PROBLEMS:
        report.add(doc.name, f"{what} schema: {len(errors) - MAX_SCHEMA_PROBLEMS} more schema errors not shown",
                   line=errors[MAX_SCHEMA_PROBLEMS].line or None)
