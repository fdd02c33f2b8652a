"""Fixtures and helpers for the web UI tests: demo users per role, logging in, the app.

Import the fixtures a test module needs::

    from tests.web_helpers import ui_app, ui_client, people, login  # noqa: F401
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "correct-horse-42"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "web"

# username -> (display name, unit, roles)
PEOPLE: dict[str, tuple[str, str, list[str]]] = {
    "reg": ("王登记", "xfj", ["registrar"]),
    "xfj_handler": ("赵承办", "xfj", ["handler"]),
    "xfj_head": ("刘主任", "xfj", ["head"]),
    "sup": ("孙督查", "xfj", ["supervisor"]),
    "lead": ("周县长", "county-lead", ["leader"]),
    "admin": ("系统管理员", "xfj", ["admin"]),
    "zjj_reg": ("李收件", "zjj", ["registrar"]),
    "zjj_h1": ("钱承办", "zjj", ["handler"]),
    "zjj_h2": ("吴承办", "zjj", ["handler"]),
    "zjj_head": ("郑局长", "zjj", ["head"]),
    "rsj_reg": ("冯收件", "rsj", ["registrar"]),
    "rsj_h": ("陈承办", "rsj", ["handler"]),
}


@functools.cache
def _password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


def create_people(engine, names=None) -> dict[str, object]:
    """Create the demo users (all with PASSWORD); returns username -> UserInfo.

    The first goes through ``create_user``; the rest reuse its hash, because hashing
    with scrypt eleven times per test would dominate the suite's time.
    """
    from engine.accounts import create_user, to_info
    from persistence.accounts import add_user

    out = {}
    with engine.unit_of_work() as s:
        for username in names or PEOPLE:
            display, unit, roles = PEOPLE[username]
            if not out:
                out[username] = create_user(s, username, PASSWORD, display, unit, roles)
                continue
            row = add_user(s, username=username, display_name=display, password_hash=_password_hash(),
                           unit_code=unit, roles=roles, active=True, failed_logins=0)
            out[username] = to_info(row)
    return out


def make_app(engine, tmp_path, **config):
    from web import create_app

    settings = {"TESTING": True, "ENGINE": engine, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test",
                "START_SCHEDULER": False, "ATTACHMENT_DIR": str(tmp_path / "attachments")}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def ui_engine(deployed_engine):
    """An engine with processes/ deployed and the demo users created."""
    create_people(deployed_engine)
    return deployed_engine


@pytest.fixture
def ui_app(ui_engine, tmp_path):
    return make_app(ui_engine, tmp_path)


@pytest.fixture
def ui_client(ui_app):
    return ui_app.test_client()


@pytest.fixture
def people(ui_engine) -> dict[str, object]:
    """username -> UserInfo of the demo users."""
    from engine.accounts import get_user_by_username

    with ui_engine.unit_of_work() as s:
        return {u: get_user_by_username(s, u) for u in PEOPLE}


@pytest.fixture
def login(ui_app):
    """``login("reg")`` -> a test client logged in as that demo user."""

    def _login(username: str, client=None):
        client = client or ui_app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
        return client

    return _login


@dataclass
class Petition:
    """What the registration tests type into 新信访登记."""

    name: str = "张三"
    id_number: str = "372925198001011234"
    address: str = "郓城县城关镇幸福路8号"
    channel: str = "来访"
    category: str = "申诉求决"
    domain: str = "城乡建设"
    request: str = "请求督促开发商按合同约定办理房产证"
    facts: str = "2019年购买某小区住房，开发商至今未办理不动产权证书。"
    reasons: str = "合同约定交房后两年内办证。"

    def form(self, **extra) -> dict[str, str]:
        data = {
            "petitioner-0-name": self.name, "petitioner-0-id_number": self.id_number,
            "petitioner-0-address": self.address, "channel": self.channel, "category": self.category,
            "domain": self.domain, "request": self.request, "facts": self.facts, "reasons": self.reasons,
        }
        data.update(extra)
        return data


def valid_id_number(prefix17: str) -> str:
    """An id number with the right check digit for a 17-digit prefix."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix17 + "10X98765432"[sum(int(d) * w for d, w in zip(prefix17, weights)) % 11]


def csrf_token_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def deploy_mini(engine) -> None:
    """Deploy the small test process ``web_mini`` (one form task, one notice, one more task)."""
    engine.deploy([("web_mini.bpmn", (FIXTURES / "web_mini.bpmn").read_bytes())], name="web tests")


def start_mini(engine, handling_unit: str = "zjj", due_at: str = "2099-12-31T23:59:59+08:00", **extra):
    """Start a ``web_mini`` case whose first task goes to ``handling_unit``'s handlers."""
    variables = {
        "handling_unit": handling_unit, "due_at": due_at, "notices": [], "case_no": "XF-MINI",
        "petitioner_name": "张三", "petitioner_id_number": "372925198001011234",
        "category": "申诉求决", "domain": "城乡建设", "request": "请求办理房产证", "facts": "购房多年未办证。",
    }
    variables.update(extra)
    return engine.start_case(process_key="web_mini", business_key=variables["case_no"], variables=variables,
                             actor="reg")


@pytest.fixture
def mini(ui_engine):
    """``mini(**variables)`` starts a web_mini case; the process is deployed once per test."""
    deploy_mini(ui_engine)
    return lambda **kw: start_mini(ui_engine, **kw)
