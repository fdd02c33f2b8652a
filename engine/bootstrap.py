"""Build the engine from settings: one place that wires database, store and scripts."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from engine.core import Engine
from persistence.db import default_database_url, make_engine, make_session_factory, upgrade

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"


def build_engine(database_url: str | None = None, *, migrate: bool = True) -> Engine:
    """An Engine on ``database_url`` (default: DATABASE_URL or the SQLite file), schema upgraded."""
    url = database_url or default_database_url()
    if migrate:
        upgrade(url)
    db = make_engine(url)
    reader = make_engine(url, read_only=True) if url.startswith("sqlite") else None
    if reader is not None:
        # Disposing the main engine closes the readers too, so SQLite checkpoints its
        # WAL when the last connection goes (a copied database file is then complete).
        event.listen(db, "engine_disposed", lambda _engine: reader.dispose())
    engine = Engine(make_session_factory(db),
                    read_session_factory=make_session_factory(reader) if reader is not None else None)
    engine.database_url = url
    engine.db = db
    engine.read_db = reader
    return engine


def deploy_folder(engine: Engine, folder: Path | str = PROCESSES_DIR, actor: str = "system"):
    """Deploy every BPMN/DMN file of a folder as one deployment (unchanged files make no new version)."""
    from engine.deploy import resources_from_paths

    resources = resources_from_paths([str(folder)])
    return engine.deploy(resources, name=Path(folder).name, source="xinfang deploy", deployed_by=actor)
