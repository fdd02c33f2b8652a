"""The npm tools the process-file tests run (bpmnlint, the moddle libraries of Camunda Modeler).

``package.json`` pins them and ``scripts/test.sh`` installs them with ``npm ci``; a test run
in a fresh clone without ``node_modules`` installs them here the same way.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"


def ensure_node_modules(*needed: str) -> Path:
    """``node_modules`` with the named packages in it (``npm ci`` when one is missing)."""
    if not all((NODE_MODULES / name / "package.json").exists() for name in needed):
        npm = shutil.which("npm")
        assert npm, "npm is needed for the process-file tests (apt-get install nodejs npm)"
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return NODE_MODULES


def node() -> str:
    found = shutil.which("node") or shutil.which("nodejs")
    assert found, "node is needed for the process-file tests (apt-get install nodejs)"
    return found
