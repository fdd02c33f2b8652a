"""新信访登记: the form, the repeat warning, attachments, and the case it starts."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.web_helpers import Petition, login, people, ui_app, ui_client, ui_engine, valid_id_number  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _petition(**kw) -> Petition:
    return Petition(id_number=valid_id_number("37292519800101123"), **kw)


def _case_id(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/cases/([0-9a-f-]{36})", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def test_only_registrars_open_the_registration_form(login):
    assert login("reg").get("/register").status_code == 200
    assert login("zjj_reg").get("/register").status_code == 200  # 第二十三条: organs register too
    for name in ("zjj_h1", "sup", "lead", "admin"):
        client = login(name)
        assert client.get("/register").status_code == 403, name
        assert client.post("/register", data=_petition().form()).status_code == 403, name
    nav = login("zjj_h1").get("/tasks").get_data(as_text=True)
    assert "新信访登记" not in nav


def test_registration_starts_a_petition_case_with_its_variables(login, ui_engine):
    client = login("reg")
    petition = _petition()
    case_id = _case_id(client.post("/register", data=petition.form(**{
        "petitioner-0-phone": "138 0000 0000", "petitioner-1-name": "李四",
        "petitioner-1-id_number": valid_id_number("37292519850202456"), "reasons": "合同约定。"})))
    case = ui_engine.get_case(case_id)
    assert case.process_key == "petition" and case.started_by == "reg"
    assert re.fullmatch(r"XF\d{8}0001", case.business_key)
    v = case.variables
    assert v["case_no"] == case.business_key
    assert v["petitioner_name"] == "张三" and v["petitioner_id_number"] == petition.id_number
    assert v["petitioner_phone"] == "138 0000 0000" and v["channel"] == "来访"
    assert v["category"] == "申诉求决" and v["domain"] == "城乡建设"
    assert v["request"] == petition.request and v["facts"] == petition.facts
    assert [p["name"] for p in v["petitioners"]] == ["张三", "李四"]
    assert v["registered_by"] == "reg" and v["attachments"] == []
    assert [t.name for t in ui_engine.list_tasks(case_id=case_id)] == ["核实登记信息"]
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"已登记，案件编号 {case.business_key}" in page
    # A second person checks the entry: it waits for 信访局负责人, not for the registrar.
    assert "核实登记信息" not in client.get("/tasks?tab=claimable").get_data(as_text=True)
    assert "核实登记信息" in login("xfj_head").get("/tasks?tab=claimable").get_data(as_text=True)
    second = _case_id(client.post("/register", data=_petition(request="另一件事", facts="另外的事实").form()))
    assert ui_engine.get_case(second).business_key.endswith("0002")


def test_mistakes_are_named_beside_their_fields_and_the_input_is_kept(login, ui_engine):
    client = login("reg")
    response = client.post("/register", data=_petition().form(**{
        "petitioner-0-name": "", "petitioner-0-id_number": "372925198001011230", "channel": "飞鸽",
        "facts": "", "petitioner-0-phone": "call me", "petitioner-1-id_number": "123"}))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    errors = dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', html))
    assert set(errors) == {"petitioner-0-name", "petitioner-0-id_number", "petitioner-0-phone", "channel",
                           "facts", "petitioner-1-name", "petitioner-1-id_number"}
    assert "校验码" in errors["petitioner-0-id_number"]
    assert 'value="372925198001011230"' in html and "请求督促开发商按合同约定办理房产证" in html
    assert ui_engine.list_cases() == []


def test_a_repeat_is_flagged_before_anything_is_created(login, ui_engine):
    client = login("reg")
    first = _case_id(client.post("/register", data=_petition().form()))
    again = client.post("/register", data=_petition(channel="来信").form())
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert 'id="repeat-warning"' in html and "正在办理中" in html
    assert f'/cases/{first}"' in html  # the registrar may see the earlier case
    assert 'name="confirm_repeat"' in html and 'value="来信" selected' in html
    assert len(ui_engine.list_cases()) == 1
    confirmed = _case_id(client.post("/register", data=_petition(channel="来信").form(confirm_repeat="yes")))
    v = ui_engine.get_case(confirmed).variables
    assert v["repeat_status"] == "in_handling" and v["repeat_of"] == first


def test_a_repeat_warning_does_not_link_a_case_the_registrar_may_not_see(login, ui_engine):
    first = _case_id(login("reg").post("/register", data=_petition().form()))
    html = login("rsj_reg").post("/register", data=_petition().form()).get_data(as_text=True)
    assert 'id="repeat-warning"' in html and "不在您的查看范围内" in html
    assert first not in html


def test_attachments_are_sniffed_stored_outside_the_web_root_and_served_only_to_the_case(login, ui_engine,
                                                                                            ui_app, tmp_path):
    client = login("reg")
    data = _petition().form()
    data["attachments"] = [(io.BytesIO(PDF), "../../合同 扫描件.pdf"), (io.BytesIO(PNG), "photo.png")]
    case_id = _case_id(client.post("/register", data=data, content_type="multipart/form-data"))
    attachments = ui_engine.get_case(case_id).variables["attachments"]
    assert [(a["name"], a["content_type"], a["size"]) for a in attachments] == [
        ("合同 扫描件.pdf", "application/pdf", len(PDF)), ("photo.png", "image/png", len(PNG))]
    stored = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file() and p.suffix != ".json"]
    assert sorted(p.name for p in stored) == sorted(a["id"] for a in attachments)
    static = Path(ui_app.static_folder).resolve()
    assert all(static not in p.resolve().parents for p in stored)

    url = f"/cases/{case_id}/attachments/{attachments[0]['id']}"
    assert url in client.get(f"/cases/{case_id}").get_data(as_text=True)
    with client.get(url) as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert login("rsj_h").get(url).status_code == 404
    assert client.get(f"/cases/{case_id}/attachments/{'0' * 32}").status_code == 404
    assert client.get(f"/cases/{case_id}/attachments/..%2F..%2Fetc%2Fpasswd").status_code == 404


@pytest.mark.parametrize(("name", "content"), [
    ("page.html.pdf", b"\x00\x01<html><script>alert(1)</script></html>"),
    ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
    ("empty.pdf", b""),
])
def test_refused_uploads_are_named_and_nothing_is_created(login, ui_engine, name, content):
    client = login("reg")
    data = _petition().form()
    data["attachments"] = [(io.BytesIO(content), name)]
    response = client.post("/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert re.search(r'<p class="error" id="attachments-error">[^<]+</p>', response.get_data(as_text=True))
    assert ui_engine.list_cases() == []


def test_an_upload_over_the_size_limit_is_refused(ui_engine, tmp_path):
    from tests.web_helpers import PASSWORD, make_app

    app = make_app(ui_engine, tmp_path, ATTACHMENT_MAX_BYTES=1024)
    client = app.test_client()
    client.post("/login", data={"username": "reg", "password": PASSWORD})
    data = _petition().form()
    data["attachments"] = [(io.BytesIO(PDF + b"x" * 2048), "big.pdf")]
    response = client.post("/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "超过" in response.get_data(as_text=True)


def test_an_upload_survives_a_form_error_but_only_for_its_uploader(login, ui_engine):
    client = login("reg")
    data = _petition().form(facts="")
    data["attachments"] = [(io.BytesIO(PDF), "合同.pdf")]
    html = client.post("/register", data=data, content_type="multipart/form-data").get_data(as_text=True)
    kept = re.search(r'name="attachment_id" value="([0-9a-f]{32})"', html).group(1)
    assert "合同.pdf" in html
    case_id = _case_id(client.post("/register", data=_petition().form(attachment_id=kept)))
    assert [a["id"] for a in ui_engine.get_case(case_id).variables["attachments"]] == [kept]
    # Someone else handing in the same id gets nothing attached.
    other = _case_id(login("zjj_reg").post("/register", data=_petition(request="别的", facts="别的事").form(
        attachment_id=kept, confirm_repeat="yes")))
    assert ui_engine.get_case(other).variables["attachments"] == []


def test_case_numbers_never_repeat_even_when_taken_at_once(engine):
    from concurrent.futures import ThreadPoolExecutor

    from persistence.numbering import next_number

    def take(prefix: str) -> int:
        with engine.unit_of_work() as s:
            return next_number(s, prefix)

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(take, ["XF20261127"] * 24))
    assert sorted(taken) == list(range(1, 25))
    assert take("XF20261128") == 1


def test_the_allocator_skips_numbers_taken_before_its_counter_knew_them(engine):
    import datetime as dt

    from persistence.numbering import CaseNumber, allocate_case_number, numbers_taken

    day = dt.date(2026, 11, 27)
    with engine.unit_of_work() as s:  # numbers recorded by an older loader, counter still at 0
        s.add_all([CaseNumber(number=f"XF20261127000{i}", prefix="XF20261127") for i in (1, 2, 3)])
    with engine.unit_of_work() as s:
        assert allocate_case_number(s, day) == "XF202611270004"
        assert allocate_case_number(s, day) == "XF202611270005"
        assert allocate_case_number(s, dt.date(2027, 1, 1)) == "XF202701010001"
        assert numbers_taken(s, "XF20261127") == 5


def test_the_database_refuses_a_case_number_twice(engine):
    from sqlalchemy.exc import IntegrityError

    from persistence.numbering import CaseNumber

    with engine.unit_of_work() as s:
        s.add(CaseNumber(number="XF202611270001", prefix="XF20261127"))
    with pytest.raises(IntegrityError):
        with engine.unit_of_work() as s:
            s.add(CaseNumber(number="XF202611270001", prefix="XF20261127"))
