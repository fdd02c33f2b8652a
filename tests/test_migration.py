"""Versions and migration: the diff of two versions, moving waiting cases, refusing others."""
from __future__ import annotations

import pytest

from engine import migration
from tests.rest_support import PASSWORD, create_users, fixture_bytes


def deploy(engine, fixture: str):
    info = engine.deploy([("migration_demo.bpmn", fixture_bytes(fixture))], name="migration", source="Camunda Modeler",
                         deployed_by="sheji")
    (definition,) = info.definitions
    return definition


def ready_task(engine, case_id: str):
    (task,) = engine.list_tasks(case_id=case_id)
    return task


def complete(engine, case_id: str) -> None:
    task = ready_task(engine, case_id)
    engine.claim(task.id, "dengji")
    engine.complete_task(task.id, {}, actor="dengji")


def two_versions(engine):
    """v1 with a case waiting at 受理 (kept in v2) and one at 审核 (removed in v2), then v2."""
    v1 = deploy(engine, "migration_v1.bpmn")
    waiting = engine.start_case(definition_id=v1.id, business_key="XF-A", actor="dengji")
    removed = engine.start_case(definition_id=v1.id, business_key="XF-B", actor="dengji")
    complete(engine, removed.id)
    v2 = deploy(engine, "migration_v2.bpmn")
    return engine, v1, v2, waiting.id, removed.id


@pytest.fixture
def versions(engine):
    """Two versions and two cases, on SQLite and on PostgreSQL."""
    return two_versions(engine)


@pytest.fixture
def ui_versions(sqlite_engine):
    """Two versions and two cases on the engine behind the ``client`` fixture."""
    return two_versions(sqlite_engine)


def test_version_diff_lists_added_removed_and_changed_activities_by_id(versions):
    engine, v1, v2, _, _ = versions
    diff = migration.version_diff(engine, v2.id)
    assert diff.from_id == v1.id
    assert {c.id for c in diff.added} == {"Task_check", "Task_notify"}
    assert [c.id for c in diff.removed] == ["Task_review"]
    changed = {c.id: c for c in diff.changed}
    assert "名称" in changed["Task_accept"].attributes and changed["Task_accept"].name == "登记受理"
    assert migration.version_diff(engine, v1.id).added  # the first version: everything is new


def test_migration_moves_a_waiting_case_and_leaves_one_whose_activity_was_removed(versions):
    engine, v1, v2, waiting, removed = versions
    before_task = ready_task(engine, waiting)
    before_timer = engine.get_case(waiting).next_timer_at
    untouched_task = ready_task(engine, removed)

    checks = {c.case_id: c for c in migration.check_cases(engine, v1.id, v2.id)}
    assert checks[waiting].ok and checks[waiting].current == ["Task_accept", "Timer_accept_late"]
    assert not checks[removed].ok and "Task_review" in checks[removed].reason

    report = migration.migrate_cases(engine, v1.id, v2.id, actor="sheji")
    assert [c.case_id for c in report.migrated] == [waiting]
    assert [(c.case_id, c.reason) for c in report.skipped] == [(removed, checks[removed].reason)]

    # The waiting case is on v2: same task (id, assignee-less), new name, the same 15-day timer.
    moved = engine.get_case(waiting)
    assert moved.definition_id == v2.id
    after_task = ready_task(engine, waiting)
    assert after_task.id == before_task.id and after_task.name == "登记受理"
    assert moved.next_timer_at == before_timer is not None
    (event,) = [e for e in engine.history(waiting) if e.kind == "migrated"]
    assert event.actor == "sheji"
    assert (event.data["from_definition_id"], event.data["to_definition_id"]) == (v1.id, v2.id)
    complete(engine, waiting)
    assert ready_task(engine, waiting).activity_id == "Task_check"  # it now follows v2

    # The other case stayed on v1, untouched, and still runs to its end there.
    kept = engine.get_case(removed)
    assert kept.definition_id == v1.id
    assert [e for e in engine.history(removed) if e.kind == "migrated"] == []
    assert ready_task(engine, removed) == untouched_task
    complete(engine, removed)
    assert engine.get_case(removed).status == "completed"


def test_migrating_again_finds_nothing_left_to_move(versions):
    engine, v1, v2, waiting, removed = versions
    migration.migrate_cases(engine, v1.id, v2.id, actor="sheji")
    again = migration.migrate_cases(engine, v1.id, v2.id, actor="sheji")
    assert again.migrated == [] and [c.case_id for c in again.skipped] == [removed]


def test_a_case_can_only_move_between_versions_of_the_same_process(versions):
    engine, v1, _, waiting, _ = versions
    other = engine.deploy([("roundtrip.bpmn", fixture_bytes("roundtrip.bpmn")),
                           ("roundtrip_route.dmn", fixture_bytes("roundtrip_route.dmn"))], deployed_by="sheji")
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput):
        migration.migrate_case(engine, waiting, v1.id, other.definitions[0].id, actor="sheji")
    assert engine.get_case(waiting).definition_id == v1.id


# --- the pages ---------------------------------------------------------------------

def login(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.data[:300]


def test_designer_sees_versions_diagram_and_changes_and_migrates_from_the_page(client, ui_versions):
    engine, v1, v2, waiting, removed = ui_versions
    create_users(engine)
    login(client, "sheji")
    index = client.get("/definitions/")
    assert index.status_code == 200 and "migration_demo" in index.get_data(as_text=True)
    page = client.get("/definitions/key/migration_demo").get_data(as_text=True)
    assert v1.id in page and v2.id in page and "Camunda Modeler" in page and "sheji" in page
    version = client.get(f"/definitions/version/{v2.id}").get_data(as_text=True)
    assert "Task_check" in version and "Task_review" in version and 'id="diagram"' in version
    xml = client.get(f"/definitions/version/{v2.id}/xml")
    assert xml.mimetype == "application/xml" and b"Task_notify" in xml.data
    preview = client.get(f"/definitions/version/{v2.id}/migrate?from={v1.id}").get_data(as_text=True)
    assert waiting in preview and "Task_review" in preview
    done = client.post(f"/definitions/version/{v2.id}/migrate", data={"from": v1.id, "case_id": [waiting]})
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "已迁移（1）" in text and "保留在原版本（0）" in text
    assert engine.get_case(waiting).definition_id == v2.id
    assert engine.get_case(removed).definition_id == v1.id


def test_caseworkers_cannot_open_or_migrate_definitions(client, ui_versions):
    engine, v1, v2, waiting, _ = ui_versions
    create_users(engine)
    login(client, "dengji")
    assert client.get("/definitions/").status_code == 403
    assert client.post(f"/definitions/version/{v2.id}/migrate", data={"from": v1.id}).status_code == 403
    assert engine.get_case(waiting).definition_id == v1.id


def test_a_case_inside_an_embedded_subprocess_moves_and_continues_on_the_new_path(sqlite_engine):
    engine = sqlite_engine

    def deploy_nested(fixture):
        info = engine.deploy([("nested.bpmn", fixture_bytes(fixture))], deployed_by="sheji")
        return info.definitions[0]

    v1 = deploy_nested("nested_v1.bpmn")
    case = engine.start_case(definition_id=v1.id, actor="dengji")
    v2 = deploy_nested("nested_v2.bpmn")  # the task after the subprocess is now 'after2'
    diff = migration.version_diff(engine, v2.id)
    assert ([c.id for c in diff.added], [c.id for c in diff.removed]) == (["after2"], ["after"])

    report = migration.migrate_cases(engine, v1.id, v2.id, actor="sheji")
    assert [c.current for c in report.migrated] == [["sub", "inner"]]
    assert ready_task(engine, case.id).name == "Inner v2"
    complete(engine, case.id)
    assert ready_task(engine, case.id).activity_id == "after2"
    complete(engine, case.id)
    assert engine.get_case(case.id).status == "completed"
