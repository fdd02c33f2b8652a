"""Take the screenshots of docs/designer-guide.md (docs/img/designer-*.png).

    .venv/bin/python tools/docs_screenshots.py [OUT_DIR]

Builds a throw-away SQLite database, deploys processes/, creates the demo county's
accounts, starts a case, then does what the guide describes: deploys an edited
intake.bpmn alone the way Camunda Modeler's deploy dialog sends it, opens the new version,
checks and migrates the running case, and shows a task of a plain Modeler file with bare
candidate groups in the handler's inbox. The pages are photographed in Debian's Chromium
(Playwright), as the browser tests do. Nothing under processes/ is written.
"""
from __future__ import annotations

import base64
import re
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = Path("/usr/bin/chromium")
FIXTURES = ROOT / "tests" / "fixtures" / "modeler"


def _basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def _prepare(data_dir: Path):
    from engine.accounts import create_user
    from engine.bootstrap import build_engine, deploy_folder
    from engine.demo import DEMO_PASSWORD, DEMO_USERS
    from persistence.accounts import add_user, find_user_by_username

    engine = build_engine(f"sqlite:///{data_dir / 'docs.sqlite3'}")
    deploy_folder(engine, ROOT / "processes", actor="demo-designer")
    with engine.unit_of_work() as s:
        first = DEMO_USERS[0]
        create_user(s, first.username, DEMO_PASSWORD, first.display_name, first.unit_code, list(first.roles))
        password_hash = find_user_by_username(s, first.username).password_hash
        for u in DEMO_USERS[1:]:
            add_user(s, username=u.username, display_name=u.display_name, password_hash=password_hash,
                     unit_code=u.unit_code, roles=list(u.roles), active=True, failed_logins=0)
    return engine


def main(out_dir: Path) -> None:
    import requests
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from engine.demo import DEMO_PASSWORD, user_for
    from web import create_app

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xinfang-docs-") as tmp:
        engine = _prepare(Path(tmp))
        app = create_app({"TESTING": True, "ENGINE": engine, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "docs",
                          "START_SCHEDULER": False, "ATTACHMENT_DIR": str(Path(tmp) / "attachments")})
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_port}"
        designer, registrar = user_for("xfj", "designer"), user_for("xfj", "registrar")
        try:
            petitioner = {"petitioner_name": {"value": "张三"}, "petitioner_id_number": {"value": "372925198001011234"},
                          "channel": {"value": "来访"}, "category": {"value": "申诉求决"},
                          "domain": {"value": "城乡建设"}, "request": {"value": "请求解决安置房延期交付问题"}}
            started = requests.post(f"{base}/engine-rest/process-definition/key/petition/start",
                                    json={"businessKey": "XF-2026-0001", "variables": petitioner},
                                    headers=_basic(registrar, DEMO_PASSWORD), timeout=60)
            started.raise_for_status()
            # the designer's edit, deployed alone as the Modeler's deploy dialog sends it
            edited = (ROOT / "processes" / "intake.bpmn").read_bytes().replace(
                'name="核实登记信息"'.encode(), 'name="核实登记信息并告知"'.encode(), 1)
            deployed = requests.post(f"{base}/engine-rest/deployment/create", headers=_basic(designer, DEMO_PASSWORD),
                                     files=[("deployment-name", (None, "intake")),
                                            ("deployment-source", (None, "Camunda Modeler")),
                                            ("enable-duplicate-filtering", (None, "true")),
                                            ("intake.bpmn", ("intake.bpmn", edited, "application/octet-stream"))],
                                     timeout=120)
            deployed.raise_for_status()
            (new,) = deployed.json()["deployedProcessDefinitions"].values()
            old = [d for d in engine.list_definitions(key="petition") if d.version == 1][0]
            bare = requests.post(f"{base}/engine-rest/deployment/create", headers=_basic(designer, DEMO_PASSWORD),
                                 files=[("deployment-name", (None, "bare")),
                                        ("bare_groups.bpmn", ("bare_groups.bpmn",
                                                              (FIXTURES / "bare_groups.bpmn").read_bytes())),
                                        ("bare_groups_route.dmn", ("bare_groups_route.dmn",
                                                                   (FIXTURES / "bare_groups_route.dmn").read_bytes()))],
                                 timeout=120)
            bare.raise_for_status()
            letter = requests.post(f"{base}/engine-rest/process-definition/key/modeler_bare_groups/start",
                                   json={"businessKey": "LX-2026-0007"}, headers=_basic(registrar, DEMO_PASSWORD),
                                   timeout=60)
            letter.raise_for_status()
            (register,) = engine.list_tasks(case_id=letter.json()["id"], state="ready")
            engine.claim(register.id, registrar)
            engine.complete_task(register.id, {"topic": "城乡建设", "summary": "小区供暖不达标"}, actor=registrar)

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])

                def window(username: str):
                    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 760})
                    page = context.new_page()
                    page.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"), lambda route: route.abort())
                    page.goto(f"{base}/login")
                    page.fill("#username", username)
                    page.fill("#password", DEMO_PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state("networkidle")
                    return page

                def shot(page, name: str, path: str, wait: str | None = None, full: bool = False) -> None:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    if wait:
                        page.wait_for_selector(wait, state="attached")
                    page.screenshot(path=str(out_dir / f"designer-{name}.png"), full_page=full)
                    print(f"docs/img/designer-{name}.png  <- {path}")

                page = window(designer)
                shot(page, "versions", "/definitions/key/petition")
                shot(page, "new-version", f"/definitions/version/{new['id']}", wait="#diagram .djs-element", full=True)
                shot(page, "migration-check", f"/definitions/version/{new['id']}/migrate?from={old.id}")
                page.get_by_role("button", name=re.compile("迁移选中")).click()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out_dir / "designer-migration-report.png"))
                print("docs/img/designer-migration-report.png  <- migration report")
                handler = window(user_for("zjj", "handler"))
                shot(handler, "bare-group-inbox", "/tasks?tab=claimable")
                browser.close()
        finally:
            httpd.shutdown()
            engine.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img")
