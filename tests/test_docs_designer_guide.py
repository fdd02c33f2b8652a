"""docs/designer-guide.md: the screenshots it shows are committed, small PNGs."""
from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = DOCS / "designer-guide.md"


def test_every_image_the_guide_shows_is_a_small_committed_png():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", GUIDE.read_text(encoding="utf-8"))
    assert len(images) >= 5
    for name in images:
        path = DOCS / name
        assert path.suffix == ".png" and path.is_file(), name
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert len(data) < 250_000, f"{name} is {len(data)} bytes"


def test_the_guide_documents_the_endpoint_bindings_and_the_group_rule():
    text = GUIDE.read_text(encoding="utf-8")
    assert "http://127.0.0.1:5000/engine-rest" in text
    for binding in ("`latest`", "`deployment`", "`version`", "`versionTag`"):
        assert binding in text
    assert "unit responsible for the case" in text and "`handling_unit`" in text
