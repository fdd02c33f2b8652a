"""The /engine-rest blueprint object, shared by the route modules."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")

# Camunda Modeler asks the server root (not /engine-rest) where the web apps live.
well_known = Blueprint("engine_rest_well_known", __name__)
