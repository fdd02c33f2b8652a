"""The org chart is data (engine/data/orgcharts/*.csv) read and checked by engine/orgchart.py."""
from __future__ import annotations

import pytest

from engine import orgchart


def test_every_demo_unit_has_an_organ_above_it_or_a_statutory_channel_instead():
    chart = orgchart.load(orgchart.DEMO_COUNTY)
    assert len(chart.units) == len({u.code for u in chart.units}) > 20
    for u in chart.units:
        assert bool(u.superior) != bool(u.legal_channel), u.code


def test_review_goes_up_one_level_and_recheck_one_more():
    assert orgchart.superior("rsj") == "city-rsj"
    assert orgchart.superior(orgchart.superior("rsj")) == "city-gov"
    assert orgchart.superior("town-chengguan") == "county-gov"
    assert orgchart.superior("county-gov") == "city-gov"


@pytest.mark.parametrize("code", ["fy", "jcy", "jw"])
def test_courts_procuratorates_and_discipline_organs_name_a_legal_channel_and_no_superior(code):
    assert orgchart.superior(code) is None
    assert "不适用信访复查" in orgchart.legal_channel(code)


def test_a_unit_with_a_superior_has_no_legal_channel_and_an_unknown_code_is_refused():
    assert orgchart.legal_channel("zjj") == ""
    with pytest.raises(KeyError, match="nope"):
        orgchart.superior("nope")


def test_the_old_constants_follow_the_chart():
    assert set(orgchart.JUDICIAL_UNITS) == {"fy", "jcy", "gaj", "sfj"}
    assert "劳动社保" in orgchart.KEY_DOMAINS
    assert orgchart.UNITS == orgchart.units()
    assert orgchart.roles()["handler"] == "承办人"


def _write(tmp_path, rows: list[str]):
    path = tmp_path / "county.csv"
    path.write_text("code,name,kind,superior,domain,legal_channel\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("rows", "message"), [
    (["a,甲,department,b,,"], "unknown superior 'b'"),
    (["a,甲,department,,,"], "needs a superior or a legal_channel"),
    (["a,甲,department,b,,", "b,乙,department,a,,"], "cycle"),
    (["a,甲,department,,,x", "a,甲,department,,,x"], "listed twice"),
    (["a,甲,ministry,,,x"], "unknown kind 'ministry'"),
])
def test_a_broken_org_chart_file_is_refused_with_the_reason(tmp_path, rows, message):
    path = _write(tmp_path, rows)
    with pytest.raises(orgchart.OrgChartError, match=message):
        orgchart.load(path)


def test_an_installed_chart_is_the_one_every_lookup_uses(tmp_path):
    chart = orgchart.load(_write(tmp_path, ["top,上级机关,municipal,,,向上级机关提出", "u,某单位,department,top,,"]))
    previous = orgchart.install(chart)
    try:
        assert orgchart.unit_name("u") == "某单位" and orgchart.superior("u") == "top"
        assert [u.code for u in orgchart.units()] == ["top", "u"]
    finally:
        orgchart.install(previous)
    assert orgchart.unit_name("u") == "u"


def test_the_engine_uses_the_org_chart_file_its_settings_name(tmp_path):
    from engine.bootstrap import build_engine
    from engine.settings import Settings

    path = _write(tmp_path, ["top,上级机关,municipal,,,向上级机关提出", "u,某单位,department,top,,"])
    settings = Settings.from_env({"XINFANG_ORGCHART_FILE": str(path)}, data_dir=tmp_path)
    assert settings.orgchart_file == path
    previous = orgchart.current()
    try:
        build_engine(settings).close()
        assert orgchart.superior("u") == "top"
    finally:
        orgchart.install(previous)
