"""Import every model module so Base.metadata knows all tables (Alembic, tests)."""
import importlib

from persistence import models  # noqa: F401

for _name in ("persistence.models_clocks", "persistence.accounts", "persistence.numbering",
              "persistence.documents", "persistence.case_search", "persistence.bulletins",
              "persistence.notifications"):
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # subsystem not present yet
        if exc.name != _name:
            raise
