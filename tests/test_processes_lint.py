"""Every BPMN file in processes/ passes bpmnlint as Camunda Modeler applies it (.bpmnlintrc):
bpmnlint:recommended plus the Camunda 7.22 rules of bpmnlint-plugin-camunda-compat."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.node_support import ensure_node_modules

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = sorted((ROOT / "processes").glob("*.bpmn"))


def _bpmnlint(path: Path) -> tuple[int, str]:
    modules = ensure_node_modules("bpmnlint", "bpmnlint-plugin-camunda-compat")
    done = subprocess.run([str(modules / ".bin" / "bpmnlint"), str(path)], cwd=ROOT, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()


def test_processes_folder_holds_the_statutory_processes():
    names = {p.name for p in PROCESSES}
    assert {"intake.bpmn", "litigation_handoff.bpmn", "ownership.bpmn", "leader_case.bpmn"} <= names


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.name)
def test_process_passes_bpmnlint_with_the_modelers_camunda_7_rules(path):
    code, output = _bpmnlint(path)
    assert code == 0, f"bpmnlint found problems in {path.name}:\n{output}"
    # warnings and infos (overlaps, fake joins, a missing history time to live) do not fail
    # bpmnlint; they fail us
    assert "warning" not in output and " info " not in output, f"bpmnlint remarks on {path.name}:\n{output}"


def test_camunda_compat_rules_are_applied(tmp_path):
    # without the plugin in .bpmnlintrc a process lacking historyTimeToLive passes unremarked
    source = (ROOT / "processes" / "review.bpmn").read_text(encoding="utf-8")
    assert ' camunda:historyTimeToLive="' in source
    stripped = tmp_path / "review.bpmn"
    stripped.write_text(source.replace(' camunda:historyTimeToLive="3650"', ""), encoding="utf-8")
    code, output = _bpmnlint(stripped)
    assert "camunda-compat/history-time-to-live" in output, output
