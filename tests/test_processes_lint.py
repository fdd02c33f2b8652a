"""Every BPMN file in processes/ passes bpmnlint with bpmnlint:recommended (.bpmnlintrc)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = sorted((ROOT / "processes").glob("*.bpmn"))
BPMNLINT = ROOT / "node_modules" / ".bin" / "bpmnlint"


def _bpmnlint() -> list[str]:
    if not BPMNLINT.exists():
        # `npm ci` installs the pinned bpmnlint 11.x from package-lock.json
        npm = shutil.which("npm")
        assert npm, "npm is needed to install bpmnlint (apt-get install npm)"
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return [str(BPMNLINT)]


def test_processes_folder_holds_the_statutory_processes():
    names = {p.name for p in PROCESSES}
    assert {"intake.bpmn", "litigation_handoff.bpmn", "ownership.bpmn", "leader_case.bpmn"} <= names


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.name)
def test_process_passes_bpmnlint_recommended(path):
    done = subprocess.run([*_bpmnlint(), str(path)], cwd=ROOT, capture_output=True, text=True)
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, f"bpmnlint found problems in {path.name}:\n{output}"
    # warnings (overlaps, fake joins, superfluous gateways) do not fail bpmnlint; they fail us
    assert "warning" not in output, f"bpmnlint warnings in {path.name}:\n{output}"
