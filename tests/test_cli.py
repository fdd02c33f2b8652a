"""The `xinfang` command as an operator uses it: deploy, timers, serve."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from web.cli import main

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "fixtures" / "engine" / "petition_mini.bpmn"


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}


def test_deploy_reports_versions_and_skips_unchanged_files(tmp_path):
    runner = CliRunner()
    env = _env(tmp_path)
    first = runner.invoke(main, ["deploy", str(ROOT / "processes")], env=env)
    assert first.exit_code == 0, first.output
    assert "deployed" in first.output and "process  petition v1" in first.output
    again = runner.invoke(main, ["deploy", str(ROOT / "processes")], env=env)
    assert again.exit_code == 0 and "unchanged (no new version)" in again.output
    fired = runner.invoke(main, ["timers", "fire"], env=env)
    assert fired.exit_code == 0 and "fired 0 timer(s)" in fired.output


def test_deploy_of_a_broken_file_names_file_line_and_element_and_exits_nonzero(tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(BROKEN.read_bytes().replace(b'targetRef="gw_accept"', b'targetRef="nowhere"'))
    result = CliRunner().invoke(main, ["deploy", str(broken)], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "error: broken.bpmn:" in result.output and "f2" in result.output
    assert "Traceback" not in result.output


def test_serve_answers_on_loopback_by_default(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--no-scheduler"],
                            env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    status = response.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_without_a_configured_key_the_app_keeps_one_in_the_data_folder(tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.delenv("XINFANG_SECRET_KEY", raising=False)
    monkeypatch.setenv("XINFANG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'k.sqlite3'}")
    first = create_app()
    second = create_app()  # a restart: sessions signed before it stay valid
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    first.extensions["xinfang.engine"].close()
    second.extensions["xinfang.engine"].close()
