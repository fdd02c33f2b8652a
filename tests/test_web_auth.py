"""Login, logout, CSRF, security headers and anonymous access of the HTML UI."""
from __future__ import annotations

import pytest

from tests.web_helpers import PASSWORD, csrf_token_of, login, make_app, mini, people, ui_app, ui_client, ui_engine  # noqa: F401
from web.ui.security import CONTENT_SECURITY_POLICY


def test_login_page_is_chinese_and_carries_a_csrf_field(ui_client):
    page = ui_client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "登录" in html
    assert 'name="csrf_token"' in html


def test_right_password_logs_in_and_lands_in_the_inbox(ui_client):
    response = ui_client.post("/login", data={"username": "zjj_h1", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks"
    inbox = ui_client.get("/tasks")
    assert inbox.status_code == 200
    assert "钱承办 · 县住房和城乡建设局 · 承办人" in inbox.get_data(as_text=True)


def test_wrong_password_answers_401_and_keeps_the_user_name(ui_client):
    response = ui_client.post("/login", data={"username": "zjj_h1", "password": "nope"})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "用户名或密码不正确" in html and 'value="zjj_h1"' in html
    assert ui_client.get("/tasks").status_code == 302


def test_login_follows_a_local_next_but_never_another_site(ui_client):
    local = ui_client.post("/login?next=/register", data={"username": "reg", "password": PASSWORD})
    assert local.headers["Location"] == "/register"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = ui_client.application.test_client()
        response = client.post("/login", data={"username": "reg", "password": PASSWORD, "next": hostile})
        assert response.headers["Location"] == "/tasks", hostile


def test_logout_ends_the_session(login):
    client = login("reg")
    assert client.get("/tasks").status_code == 200
    assert client.get("/logout").status_code == 405  # never by a link a page could embed
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/tasks").status_code == 302


@pytest.mark.parametrize("path", ["/", "/tasks", "/tasks?tab=done", "/register", "/tasks/some-id",
                                  "/cases/some-id", "/cases/some-id/diagram.json",
                                  "/cases/some-id/attachments/0123456789abcdef0123456789abcdef"])
def test_anonymous_visitors_are_sent_to_the_login_page(ui_client, path):
    response = ui_client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_every_page_carries_a_strict_content_security_policy(login):
    client = login("reg")
    for path in ("/login", "/tasks", "/register"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert client.get("/tasks").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_or_style(login):
    client = login("reg")
    html = client.get("/register").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


# ---------------------------------------------------------------------- CSRF switched on
@pytest.fixture
def csrf_client(ui_engine, tmp_path):
    app = make_app(ui_engine, tmp_path, WTF_CSRF_ENABLED=True)
    return app.test_client()


def test_a_post_without_the_csrf_token_is_refused(csrf_client):
    response = csrf_client.post("/login", data={"username": "reg", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_a_post_with_the_csrf_token_goes_through(csrf_client):
    token = csrf_token_of(csrf_client.get("/login").get_data(as_text=True))
    response = csrf_client.post("/login", data={"username": "reg", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_a_logged_in_user_cannot_be_made_to_claim_without_the_token(csrf_client, mini, ui_engine):
    mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    token = csrf_token_of(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post("/login", data={"username": "zjj_h1", "password": PASSWORD, "csrf_token": token})
    forged = csrf_client.post(f"/tasks/{task.id}/claim")
    assert forged.status_code == 400
    assert ui_engine.get_task(task.id).assignee is None
    page = csrf_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert csrf_client.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_token_of(page)}).status_code == 302
    assert ui_engine.get_task(task.id).assignee == "zjj_h1"


def test_the_rest_api_is_exempt_from_csrf(csrf_client):
    # /engine-rest authenticates every request with HTTP Basic; without credentials it
    # answers 401 from the REST layer, not 400 from the CSRF check.
    response = csrf_client.post("/engine-rest/message", json={"messageName": "x"})
    assert response.status_code != 400
    assert "页面已过期" not in response.get_data(as_text=True)
