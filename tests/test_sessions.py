"""Sessions and accounts (issue 11 item 5, issue 14 item 3), over real HTTP where it matters:
logout revokes a copied cookie, throttling per address and per account from an address,
HTTP Basic verified once per client with no write on read paths, the designer role kept
from petitioners' data, and a repeat check that keeps a hidden accusation hidden."""
from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import select

from engine import accounts
from engine.accounts import ADDRESS_MAX_FAILURES, MAX_FAILED_LOGINS, authenticate
from persistence.accounts import User
from tests.rest_support import basic, live_server
from tests.rest_support import create_users as create_rest_users
from tests.web_helpers import PASSWORD, create_people, deploy_mini, make_app, start_mini

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def site(sqlite_engine, tmp_path):
    deploy_mini(sqlite_engine)
    create_people(sqlite_engine)
    app = make_app(sqlite_engine, tmp_path)
    with live_server(app) as base:
        yield base, sqlite_engine


def browser_login(base: str, username: str) -> requests.Session:
    http = requests.Session()
    response = http.post(f"{base}/login", data={"username": username, "password": PASSWORD},
                         allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return http


def test_logout_revokes_the_session_so_a_copied_cookie_stops_working(site):
    base, _ = site
    owner = browser_login(base, "reg")
    thief = requests.Session()
    thief.cookies.update(owner.cookies)  # the cookie copied off the machine
    assert thief.get(f"{base}/tasks", allow_redirects=False).status_code == 200
    assert owner.post(f"{base}/logout", allow_redirects=False).status_code == 302
    replayed = thief.get(f"{base}/tasks", allow_redirects=False)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    # Signing in again works, with a new session.
    assert browser_login(base, "reg").get(f"{base}/tasks", allow_redirects=False).status_code == 200


def test_guessing_from_one_address_never_locks_the_owner_out_elsewhere(sqlite_engine, tmp_path):
    create_people(sqlite_engine, ["reg"])
    app = make_app(sqlite_engine, tmp_path)
    attacker, owner = app.test_client(), app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    owner.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    for _ in range(MAX_FAILED_LOGINS):
        assert attacker.post("/login", data={"username": "reg", "password": "guess"}).status_code == 401
    # The attacker, even with the right password now, stays locked out of that account …
    assert attacker.post("/login", data={"username": "reg", "password": PASSWORD}).status_code == 401
    # … while the owner signs in from their own desk.
    assert owner.post("/login", data={"username": "reg", "password": PASSWORD}).status_code == 302


def test_one_address_guessing_many_accounts_is_blocked_as_a_whole(sqlite_engine):
    create_people(sqlite_engine)
    names = ["reg", "xfj_handler", "xfj_head", "sup", "admin"]
    for n in range(ADDRESS_MAX_FAILURES):
        with sqlite_engine.unit_of_work() as s:
            assert authenticate(s, names[n % len(names)], "guess", now=NOW, address="10.0.0.66") is None
    with sqlite_engine.unit_of_work() as s:
        # Fewer than five misses per account, yet the address is refused for every one …
        assert authenticate(s, "sup", PASSWORD, now=NOW, address="10.0.0.66") is None
        # … and nobody else is.
        assert authenticate(s, "sup", PASSWORD, now=NOW, address="10.0.0.7") is not None
    with sqlite_engine.unit_of_work() as s:
        later = NOW + accounts.ADDRESS_LOCK + dt.timedelta(seconds=1)
        assert authenticate(s, "sup", PASSWORD, now=later, address="10.0.0.66") is not None


def test_last_login_is_written_at_most_once_per_interval(sqlite_engine):
    create_people(sqlite_engine, ["reg"])

    def last_login():
        with sqlite_engine.unit_of_work(read_only=True) as s:
            return s.scalars(select(User.last_login_at).where(User.username == "reg")).one()

    with sqlite_engine.unit_of_work() as s:
        authenticate(s, "reg", PASSWORD, now=NOW)
    assert last_login() == NOW
    with sqlite_engine.unit_of_work() as s:
        authenticate(s, "reg", PASSWORD, now=NOW + dt.timedelta(minutes=1))
    assert last_login() == NOW
    later = NOW + accounts.LAST_LOGIN_INTERVAL
    with sqlite_engine.unit_of_work() as s:
        authenticate(s, "reg", PASSWORD, now=later)
    assert last_login() == later


# ---------------------------------------------------------------------- REST: cheap Basic
@pytest.fixture
def rest_site(app, sqlite_engine):
    create_rest_users(sqlite_engine)
    with live_server(app) as base:
        yield base, sqlite_engine


def _hash_checks(monkeypatch) -> list[str]:
    """Record each password-hash verification (the real function still runs)."""
    seen: list[str] = []
    real = accounts.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        seen.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return seen


def _user_row(engine, username: str):
    with engine.unit_of_work(read_only=True) as s:
        row = s.scalars(select(User).where(User.username == username)).one()
        return row.last_login_at, row.failed_logins, row.session_generation


def test_basic_credentials_are_hashed_once_per_client_and_reads_write_nothing(rest_site, monkeypatch):
    import sqlite3

    base, engine = rest_site
    checks = _hash_checks(monkeypatch)
    watcher = sqlite3.connect(engine.sessions.kw["bind"].url.database)
    try:
        with requests.Session() as http:
            http.headers.update(basic("dengji"))
            assert http.get(f"{base}/engine-rest/version").status_code == 200
            after_first = _user_row(engine, "dengji")
            # data_version changes whenever another connection commits to the file.
            before = watcher.execute("PRAGMA data_version").fetchone()[0]
            for _ in range(5):
                assert http.get(f"{base}/engine-rest/task").status_code == 200
                assert http.get(f"{base}/engine-rest/task/count").status_code == 200
            assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
    finally:
        watcher.close()
    assert len(checks) == 1
    assert _user_row(engine, "dengji") == after_first


def test_a_cached_credential_dies_with_a_password_change_a_disable_or_a_logout(rest_site, monkeypatch):
    base, engine = rest_site
    checks = _hash_checks(monkeypatch)
    store = accounts.Accounts(engine.sessions)
    user = store.get_user_by_username("dengji")
    with requests.Session() as http:
        http.headers.update(basic("dengji"))
        assert http.get(f"{base}/engine-rest/version").status_code == 200
        # A logout elsewhere revokes sessions: the cached entry is checked again, once.
        store.revoke_sessions(user.id)
        assert http.get(f"{base}/engine-rest/version").status_code == 200
        assert http.get(f"{base}/engine-rest/version").status_code == 200
        assert len(checks) == 2
        # A new password: the old one is refused at the very next request.
        store.set_password(user.id, "a-new-password-456")
        assert http.get(f"{base}/engine-rest/version").status_code == 401
        http.headers.update(basic("dengji", "a-new-password-456"))
        assert http.get(f"{base}/engine-rest/version").status_code == 200
        # Disabled: refused at once, although the credentials were cached.
        with engine.unit_of_work() as s:
            accounts.set_active(s, user.id, False)
        assert http.get(f"{base}/engine-rest/version").status_code == 401


def test_wrong_basic_passwords_still_count_towards_the_lock(rest_site):
    base, _ = rest_site
    with requests.Session() as http:
        for _ in range(MAX_FAILED_LOGINS):
            assert http.get(f"{base}/engine-rest/version", headers=basic("dengji", "guess")).status_code == 401
        assert http.get(f"{base}/engine-rest/version", headers=basic("dengji")).status_code == 401


# ---------------------------------------------------------------------- designer and repeats
def test_the_designer_sees_only_the_cases_they_started_over_rest(rest_site):
    import io

    from tests.rest_support import fixture_bytes

    base, _ = rest_site
    rest = f"{base}/engine-rest"
    with requests.Session() as http:
        files = {n: (n, io.BytesIO(fixture_bytes(n))) for n in ("roundtrip.bpmn", "roundtrip_route.dmn")}
        assert http.post(f"{rest}/deployment/create", files=files, headers=basic("sheji")).status_code == 200
        body = {"variables": {"amount": {"value": 5, "type": "Long"},
                              "petitioner_name": {"value": "张三", "type": "String"}}}
        petition = http.post(f"{rest}/process-definition/key/modeler_roundtrip/start", json=body,
                             headers=basic("dengji")).json()
        trial = http.post(f"{rest}/process-definition/key/modeler_roundtrip/start", json=body,
                          headers=basic("sheji")).json()
        for path in (f"process-instance/{petition['id']}", f"process-instance/{petition['id']}/variables",
                     f"history/process-instance/{petition['id']}"):
            assert http.get(f"{rest}/{path}", headers=basic("sheji")).status_code == 404, path
        assert [p["id"] for p in http.get(f"{rest}/process-instance", headers=basic("sheji")).json()] == [trial["id"]]
        listed = http.get(f"{rest}/task", headers=basic("sheji")).json()
        assert {t["processInstanceId"] for t in listed} == {trial["id"]}
        assert http.get(f"{rest}/process-instance/{trial['id']}/variables",
                        headers=basic("sheji")).json()["petitioner_name"]["value"] == "张三"
        # The registrar of the same unit still sees both.
        assert len(http.get(f"{rest}/process-instance", headers=basic("dengji")).json()) == 2


def test_the_designer_cannot_open_a_petitioners_case_page(sqlite_engine, tmp_path):
    from engine.accounts import Accounts

    ui_engine = sqlite_engine
    create_people(ui_engine, ["reg"])
    Accounts(ui_engine.sessions).create_user("sheji", PASSWORD, "流程设计员", "xfj", ["designer"])
    app = make_app(ui_engine, tmp_path)
    deploy_mini(ui_engine)
    case = start_mini(ui_engine, handling_unit="xfj")
    designer, registrar = app.test_client(), app.test_client()
    assert designer.post("/login", data={"username": "sheji", "password": PASSWORD}).status_code == 302
    assert registrar.post("/login", data={"username": "reg", "password": PASSWORD}).status_code == 302
    assert registrar.get(f"/cases/{case.id}").status_code == 200
    page = designer.get(f"/cases/{case.id}")
    assert page.status_code == 404 and "张三" not in page.get_data(as_text=True)


def test_the_repeat_check_does_not_reveal_a_hidden_accusation(sqlite_engine, tmp_path):
    from engine.attachments import AttachmentStore
    from engine.casework import Casework

    deploy_mini(sqlite_engine)
    people = create_people(sqlite_engine)
    casework = Casework(sqlite_engine, AttachmentStore(tmp_path))
    hidden = start_mini(sqlite_engine, handling_unit="zjj", accused_unit="xfj", category="检举控告",
                        confidential=True)
    ordinary = start_mini(sqlite_engine, handling_unit="zjj")
    # A registrar of the accused 信访局 is not told the accusation exists …
    assert casework._describe_repeat(people["reg"], {"repeat_status": "in_handling",
                                                     "repeat_of": hidden.id}) is None
    # … while an ordinary matter it cannot open is still reported (第十九条), unnamed.
    with sqlite_engine.unit_of_work() as s:
        s.execute(__import__("sqlalchemy").text("DELETE FROM case_units WHERE case_id = :c AND unit_code = 'xfj'"),
                  {"c": ordinary.id})
    answer = casework._describe_repeat(people["reg"], {"repeat_status": "in_handling", "repeat_of": ordinary.id})
    assert answer == {"status": "in_handling", "case": None}
