"""Every file in processes/ survives being opened and saved in Camunda Modeler.

The Modeler reads and writes BPMN with bpmn-moddle + camunda-bpmn-moddle and DMN with
dmn-moddle + camunda-dmn-moddle (pinned in package.json). ``tests/node/moddle_roundtrip.mjs``
runs exactly that read/write with Node; here we compare the original and the saved XML
element by element (ids, types, attributes including every camunda:* one, flows,
conditions, scripts, timers, formData, documentation, DI) and have the engine's own
deploy-time validation accept the saved files as it accepts the originals.
"""
from __future__ import annotations

import difflib
import json
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from engine.parser import XinfangParser
from engine.validation import validate_resources
from tests.node_support import ensure_node_modules, node

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "node" / "moddle_roundtrip.mjs"
FILES = sorted([*(ROOT / "processes").glob("*.bpmn"), *(ROOT / "processes").glob("*.dmn")])
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
MODDLE_PACKAGES = ("bpmn-moddle", "camunda-bpmn-moddle", "dmn-moddle", "camunda-dmn-moddle")
# what a designer draws: each needs a shape or an edge in the diagram, or the Modeler
# shows nothing to click on
DRAWN = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
         "task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "manualTask", "sendTask",
         "receiveTask", "callActivity", "subProcess", "transaction", "exclusiveGateway", "inclusiveGateway",
         "parallelGateway", "eventBasedGateway", "complexGateway", "sequenceFlow", "messageFlow", "lane",
         "participant", "textAnnotation", "association", "group", "dataObjectReference",
         "dataStoreReference"}


def roundtrip(paths: list[Path], out_dir: Path) -> dict[str, dict]:
    """Open and save ``paths`` as the Modeler does; {file name: {"out", "warnings", "untyped"}}."""
    ensure_node_modules(*MODDLE_PACKAGES)
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([node(), str(SCRIPT), str(out_dir), *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"moddle round trip failed:\n{done.stderr}"
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {Path(r["file"]).name: r for r in reports}


def outline(path: Path) -> list[str]:
    """Every element of the file in document order: where it is, its type, attributes, text.

    Namespace prefixes and declarations, attribute order, quoting and indentation are how
    a file is written, not what it says; everything else is kept.
    """
    tree = etree.parse(str(path))
    lines = []

    def walk(el, where: str) -> None:
        here = f"{where}/{etree.QName(el).localname}" + (f"#{el.get('id')}" if el.get("id") else "")
        attrs = " ".join(f"{k}={v!r}" for k, v in sorted(el.attrib.items()))
        text = el.text if el.text and el.text.strip() else ""
        lines.append(f"{here} {{{etree.QName(el).namespace}}} {attrs} {text!r}")
        for child in el:
            if isinstance(child.tag, str):
                walk(child, here)

    walk(tree.getroot(), "")
    return lines


def changes(original: Path, saved: Path) -> list[str]:
    return [line for line in difflib.unified_diff(outline(original), outline(saved), "original", "saved",
                                                  lineterm="", n=0)]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, dict]:
    return roundtrip(FILES, tmp_path_factory.mktemp("saved-by-moddle"))


def test_processes_folder_has_bpmn_and_dmn_files():
    assert {"intake.bpmn", "handling.bpmn", "classification.dmn"} <= {p.name for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_modeler_reads_every_element_and_attribute(path, saved):
    report = saved[path.name]
    assert report["warnings"] == [], f"the Modeler cannot read parts of {path.name}"
    # an attribute no moddle schema defines survives as text but cannot be seen or edited
    assert report["untyped"] == [], f"the Modeler's properties panel cannot show parts of {path.name}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_saving_in_the_modeler_changes_nothing(path, saved):
    diff = changes(path, Path(saved[path.name]["out"]))
    assert diff == [], f"saving {path.name} in the Modeler would change it:\n" + "\n".join(diff[:40])


def test_engine_accepts_the_saved_files_as_it_accepts_the_originals(saved):
    def deploy_check(paths):
        result = validate_resources([(p.name, p.read_bytes()) for p in paths], XinfangParser())
        return result, sorted((p.id, p.executable, tuple(p.called_elements), tuple(p.decision_refs))
                              for p in result.processes), sorted(d.id for d in result.decisions)

    original, *original_summary = deploy_check(FILES)
    after, *after_summary = deploy_check([Path(saved[p.name]["out"]) for p in FILES])
    assert original.ok and after.ok, [p.message for p in after.problems]
    assert after_summary == original_summary
    assert original.specs and set(original.specs) == set(after.specs)


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".bpmn"], ids=lambda p: p.name)
def test_every_drawn_element_has_a_shape_or_edge(path):
    tree = etree.parse(str(path))
    drawn = {el.get("id"): etree.QName(el).localname for el in tree.iter(f"{{{BPMN}}}*")
             if etree.QName(el).localname in DRAWN}
    shown = {el.get("bpmnElement") for el in tree.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")}
    assert {k: v for k, v in drawn.items() if k not in shown} == {}
    assert shown - set(drawn) == set(), "diagram elements pointing at nothing"


def test_round_trip_notices_what_the_modeler_would_drop(tmp_path):
    # camunda:calledElementBinding="latest" is the default: the Modeler saves it away, and an
    # attribute of no known schema is listed as one the properties panel cannot show
    source = (ROOT / "processes" / "handling.bpmn").read_text(encoding="utf-8")
    assert 'calledElement="review"' in source
    edited = tmp_path / "in" / "handling.bpmn"
    edited.parent.mkdir()
    edited.write_text(source.replace('calledElement="review"',
                                     'calledElement="review" camunda:calledElementBinding="latest" '
                                     'camunda:noSuchThing="1"', 1), encoding="utf-8")
    report = roundtrip([edited], tmp_path / "out")["handling.bpmn"]
    assert report["untyped"] == ["attribute camunda:noSuchThing on Call_review"]
    diff = changes(edited, Path(report["out"]))
    assert any("calledElementBinding" in line for line in diff if line.startswith("-"))
    assert not any("calledElementBinding" in line for line in diff if line.startswith("+"))
