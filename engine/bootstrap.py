"""Build the engine from settings: one place that wires database, store and scripts."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from engine import calendar, orgchart
from engine.core import Engine
from engine.evaluation import WorkerLimits
from engine.settings import Settings
from persistence.db import make_engine, make_session_factory, upgrade

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"


def build_engine(settings: Settings | str, *, migrate: bool = True,
                 evaluation_limits: WorkerLimits | None = None) -> Engine:
    """An Engine on the settings' database (or a bare database URL), schema upgraded.

    Given ``Settings``, the process-wide calendar is pointed at its holiday and rules
    files too; a bare URL leaves the calendar as it is (tests, tools).  Designer code
    runs under ``evaluation_limits`` (default: the settings', else ``WorkerLimits()``).
    """
    limits = evaluation_limits
    if isinstance(settings, Settings):
        url = settings.database_url
        limits = limits or WorkerLimits(timeout=settings.evaluation_timeout, cpu_seconds=settings.evaluation_cpu_seconds,
                                        memory_mb=settings.evaluation_memory_mb, workers=settings.evaluation_workers)
        if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
            Path(url[len("sqlite:///"):]).resolve().parent.mkdir(parents=True, exist_ok=True)
        calendar.configure(settings.holiday_file, settings.deadline_rules_file)
        if settings.orgchart_file:
            orgchart.install(orgchart.load(settings.orgchart_file))
    else:
        url = settings
    if migrate:
        upgrade(url)
    db = make_engine(url)
    reader = make_engine(url, read_only=True) if url.startswith("sqlite") else None
    if reader is not None:
        # Disposing the main engine closes the readers too, so SQLite checkpoints its
        # WAL when the last connection goes (a copied database file is then complete).
        event.listen(db, "engine_disposed", lambda _engine: reader.dispose())
    engine = Engine(make_session_factory(db),
                    read_session_factory=make_session_factory(reader) if reader is not None else None,
                    evaluation_limits=limits)
    engine.database_url = url
    engine.db = db
    engine.read_db = reader
    return engine


def deploy_folder(engine: Engine, folder: Path | str = PROCESSES_DIR, actor: str = "system"):
    """Deploy every BPMN/DMN file of a folder as one deployment (unchanged files make no new version)."""
    from engine.deploy import resources_from_paths

    resources = resources_from_paths([str(folder)])
    return engine.deploy(resources, name=Path(folder).name, source="xinfang deploy", deployed_by=actor)
