"""One settings object: read once from the environment, handed down, nowhere else read."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine import calendar
from engine.bootstrap import build_engine
from engine.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("engine", "forms", "persistence", "web")


def test_settings_come_from_the_given_environment_with_documented_defaults(tmp_path):
    s = Settings.from_env({"XINFANG_DATA_DIR": str(tmp_path), "XINFANG_SESSION_COOKIE_SECURE": "true"})
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'xinfang.sqlite3'}"
    assert s.session_cookie_secure is True
    assert s.secret_key is None and s.holiday_file is None and s.deadline_rules_file is None
    explicit = Settings.from_env({"DATABASE_URL": "postgresql://x@127.0.0.1/db",
                                  "XINFANG_DEADLINE_RULES": "/etc/rules.json"})
    assert explicit.database_url == "postgresql://x@127.0.0.1/db"
    assert explicit.deadline_rules_file == Path("/etc/rules.json")


def test_command_line_overrides_win_and_unknown_names_are_refused(tmp_path):
    s = Settings.from_env({"DATABASE_URL": "sqlite:///a.db"}, database_url="sqlite:///b.db")
    assert s.database_url == "sqlite:///b.db"
    with pytest.raises(TypeError, match="unknown settings"):
        Settings.from_env({}, databse_url="x")


def test_the_app_and_the_engine_take_their_settings_from_one_object(tmp_path):
    from web import create_app

    rules = tmp_path / "rules.json"
    rules.write_text('{"acceptance": {"days": 10}}', encoding="utf-8")
    settings = Settings(data_dir=tmp_path, secret_key="k" * 32, session_cookie_secure=True,
                        deadline_rules_file=rules)
    app = create_app(settings=settings)
    try:
        assert app.config["SETTINGS"] is settings
        assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SECRET_KEY"] == "k" * 32
        assert (tmp_path / "xinfang.sqlite3").is_file()
        assert calendar.rule_for("acceptance").days == 10  # the engine pointed the calendar at the file
    finally:
        app.extensions["xinfang.engine"].close()


def test_a_bare_database_url_leaves_the_calendar_configuration_alone(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text('{"acceptance": {"days": 9}}', encoding="utf-8")
    calendar.configure(rules_file=rules)
    build_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}").close()
    assert calendar.rule_for("acceptance").days == 9


def _reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and \
                any(a.name in ("environ", "getenv") for a in node.names):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "from_prefixed_env":
            return True
    return False


def test_only_the_settings_module_reads_the_environment():
    readers = sorted(str(p.relative_to(ROOT)) for pkg in PRODUCT for p in (ROOT / pkg).rglob("*.py")
                     if _reads_environment(ast.parse(p.read_text(encoding="utf-8"))))
    assert readers == ["engine/settings.py"]
