"""用户管理: the administrator creates users, sets unit and roles, resets passwords,
disables and enables accounts (ending their sessions), all audited; nobody else may."""
from __future__ import annotations

from sqlalchemy import select

from tests.web_helpers import PASSWORD, login, people, ui_app, ui_client, ui_engine  # noqa: F401


def _events(engine):
    from persistence.models import Event

    with engine.unit_of_work() as s:
        return [(e.actor, e.data) for e in s.scalars(select(Event).where(Event.kind == "account_changed")
                                                      .order_by(Event.id))]


def test_only_administrators_open_user_management(login):
    for name in ("reg", "sup", "zjj_head"):
        client = login(name)
        assert client.get("/admin/users").status_code == 403, name
        assert client.post("/admin/users/new", data={"username": "x"}).status_code == 403, name
        assert "用户管理" not in client.get("/tasks").get_data(as_text=True)
    html = login("admin").get("/admin/users").get_data(as_text=True)
    assert "用户管理" in html and "钱承办" in html and "县住房和城乡建设局" in html and "从未登录" in html


def test_an_administrator_creates_a_user_who_can_then_sign_in(login, ui_app, ui_engine):
    admin = login("admin")
    response = admin.post("/admin/users/new", data={"username": "zjj_h3", "display_name": "孙新人",
                                                    "unit_code": "zjj", "roles": ["handler", "registrar"],
                                                    "password": "start-pass-123"})
    assert response.status_code == 302
    client = ui_app.test_client()
    assert client.post("/login", data={"username": "zjj_h3", "password": "start-pass-123"}).status_code == 302
    html = admin.get("/admin/users?unit=zjj").get_data(as_text=True)
    row = html[html.index('data-username="zjj_h3"'):]
    row = row[:row.index("</tr>")]
    assert "孙新人" in row and "承办人、登记员" in row and "从未登录" not in row  # last login shown
    assert _events(ui_engine)[-1] == ("admin", {"user": "zjj_h3", "action": "created", "unit": "zjj",
                                                "roles": ["handler", "registrar"]})


def test_mistakes_are_named_beside_their_fields_and_nothing_is_created(login, ui_engine):
    admin = login("admin")
    response = admin.post("/admin/users/new", data={"username": "zjj_h1", "display_name": "",
                                                    "unit_code": "nowhere", "password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("请填写姓名", "单位不存在", "请选择角色", "密码至少8位"):
        assert message in html, message
    taken = admin.post("/admin/users/new", data={"username": "zjj_h1", "display_name": "重名",
                                                 "unit_code": "zjj", "roles": ["handler"], "password": "long-enough-1"})
    assert taken.status_code == 400 and "该用户名已被使用" in taken.get_data(as_text=True)
    response = admin.post("/admin/users/new", data={"username": "bad name!", "display_name": "某某",
                                                    "unit_code": "zjj", "roles": ["handler"], "password": "short"})
    html = response.get_data(as_text=True)
    assert "用户名须为1至64位字母" in html and "密码至少8位" in html
    assert _events(ui_engine) == []


def test_unit_and_roles_change_and_the_change_is_audited(login, people, ui_engine):
    admin = login("admin")
    user_id = people["zjj_h2"].id
    response = admin.post(f"/admin/users/{user_id}", data={"display_name": "吴承办", "unit_code": "rsj",
                                                            "roles": ["handler", "head"]})
    assert response.status_code == 302
    from engine.accounts import get_user

    with ui_engine.unit_of_work() as s:
        user = get_user(s, user_id)
    assert user.unit_code == "rsj" and user.roles == ["handler", "head"] and "rsj:head" in user.groups
    actor, data = _events(ui_engine)[-1]
    assert actor == "admin" and data["action"] == "updated"
    assert data["changes"] == {"unit_code": ["zjj", "rsj"], "roles": [["handler"], ["handler", "head"]]}


def test_an_administrator_cannot_drop_their_own_admin_role_or_disable_themselves(login, people):
    admin = login("admin")
    me = people["admin"].id
    html = admin.post(f"/admin/users/{me}", data={"display_name": "系统管理员", "unit_code": "xfj",
                                                  "roles": ["supervisor"]}).get_data(as_text=True)
    assert "不能取消自己的管理员角色" in html
    admin.post(f"/admin/users/{me}/active", data={"active": "0"})
    assert admin.get("/admin/users").status_code == 200  # still signed in and still an administrator


def test_disabling_ends_the_users_session_and_enabling_lets_them_back(login, people, ui_app, ui_engine):
    handler = login("zjj_h1")
    assert handler.get("/tasks").status_code == 200
    admin = login("admin")
    assert admin.post(f"/admin/users/{people['zjj_h1'].id}/active", data={"active": "0"}).status_code == 302
    response = handler.get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    fresh = ui_app.test_client()
    assert fresh.post("/login", data={"username": "zjj_h1", "password": PASSWORD}).status_code == 401
    assert "已停用" in admin.get("/admin/users").get_data(as_text=True)
    admin.post(f"/admin/users/{people['zjj_h1'].id}/active", data={"active": "1"})
    assert fresh.post("/login", data={"username": "zjj_h1", "password": PASSWORD}).status_code == 302
    assert [d["action"] for _, d in _events(ui_engine)] == ["disabled", "enabled"]


def test_a_password_reset_replaces_the_old_password(login, people, ui_app, ui_engine):
    admin = login("admin")
    user_id = people["rsj_h"].id
    html = admin.post(f"/admin/users/{user_id}/password", data={"password": "123"},
                      follow_redirects=True).get_data(as_text=True)
    assert "密码至少8位" in html
    admin.post(f"/admin/users/{user_id}/password", data={"password": "new-secret-99"})
    client = ui_app.test_client()
    assert client.post("/login", data={"username": "rsj_h", "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"username": "rsj_h", "password": "new-secret-99"}).status_code == 302
    assert [d["action"] for _, d in _events(ui_engine)] == ["password_reset"]
    assert login("admin").get("/admin/users/999999").status_code == 404
