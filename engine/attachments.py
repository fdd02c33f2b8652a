"""Attachments of petitions: stored outside the web root under random names.

A file is accepted only when its first bytes show one of a few document and image
formats (the name and the browser's claimed type are not trusted), and only up to a
size limit.  The stored name is random; the name the petitioner gave is kept only as
display text.  The case records each attachment as a plain dict in its
``attachments`` variable; serving a file is the caller's job after the access
policy has allowed the case.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from engine.errors import InvalidInput, NotFound
from persistence.db import utcnow

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
_ID = re.compile(r"^[0-9a-f]{32}$")

# content type -> (extension, Chinese label)
ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    "application/pdf": (".pdf", "PDF 文档"),
    "image/png": (".png", "PNG 图片"),
    "image/jpeg": (".jpg", "JPEG 图片"),
    "image/gif": (".gif", "GIF 图片"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx", "Word 文档"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx", "Excel 表格"),
    "application/msword": (".doc", "Word 97-2003 文档"),
    "text/plain": (".txt", "纯文本"),
}


@dataclass(frozen=True)
class Attachment:
    """What a case keeps about one stored file."""

    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict:
        return asdict(self)


def sniff_content_type(data: bytes) -> str | None:
    """The content type the bytes themselves show, or None for anything not accepted."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_office_zip(data)
    if _is_text(data):
        return "text/plain"
    return None


def _sniff_office_zip(data: bytes) -> str | None:
    # Only the member names are read, never extracted: no zip-bomb exposure.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if any(n.startswith("xl/") for n in names):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(c.isprintable() or c in "\r\n\t\f" for c in text)
    return False


def display_name(filename: str | None, content_type: str) -> str:
    """A harmless name to show and offer for download: no path, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".")[:120]
    extension = ALLOWED_TYPES[content_type][0]
    if not name:
        name = "附件" + extension
    return name


class AttachmentStore:
    """Files on disk under ``root``, named by a random id; no index besides the case."""

    def __init__(self, root: str | os.PathLike, max_bytes: int = MAX_ATTACHMENT_BYTES):
        self.root = Path(root)
        self.max_bytes = max_bytes

    def save(self, filename: str | None, stream: BinaryIO, uploaded_by: str) -> Attachment:
        """Check and store one upload; InvalidInput (field ``attachments``) when refused."""
        data = stream.read(self.max_bytes + 1)
        shown = (filename or "附件").replace("\\", "/").rsplit("/", 1)[-1][:60]
        if not data:
            raise InvalidInput("空文件", {"attachments": f"“{shown}”是空文件"})
        if len(data) > self.max_bytes:
            limit = self.max_bytes // (1024 * 1024)
            raise InvalidInput("文件太大", {"attachments": f"“{shown}”超过 {limit} MB 上限"})
        content_type = sniff_content_type(data)
        if content_type is None:
            raise InvalidInput("文件类型不支持", {
                "attachments": f"“{shown}”的格式不支持，请上传 PDF、图片、Word、Excel 或纯文本文件"})
        attachment_id = secrets.token_hex(16)
        path = self._path(attachment_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: never overwrite; 0o600: readable by the server account only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        attachment = Attachment(
            id=attachment_id,
            name=display_name(filename, content_type),
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=uploaded_by,
            uploaded_at=utcnow().isoformat(),
        )
        # The description beside the file lets a form that was shown again (errors,
        # repeat warning) carry an upload over by id without trusting the browser.
        path.with_suffix(".json").write_text(json.dumps(attachment.to_dict(), ensure_ascii=False), "utf-8")
        return attachment

    def load(self, attachment_id: str) -> Attachment:
        """The description of a stored file; NotFound for an unknown or malformed id."""
        path = self.path_of(attachment_id)
        try:
            return Attachment(**json.loads(path.with_suffix(".json").read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            raise NotFound("attachment not found") from None

    def path_of(self, attachment_id: str) -> Path:
        """The stored file of this id; NotFound for a malformed id or a missing file."""
        if not isinstance(attachment_id, str) or not _ID.match(attachment_id):
            raise NotFound("attachment not found")
        path = self._path(attachment_id)
        if not path.is_file():
            raise NotFound("attachment not found")
        return path

    def _path(self, attachment_id: str) -> Path:
        # Two-level fan-out keeps directories small.
        return self.root / attachment_id[:2] / attachment_id
