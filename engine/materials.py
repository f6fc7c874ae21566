"""Uploaded materials: what a file really is (by its bytes, never its name), and where it is kept (R8.2).

Only JPEG, PNG and PDF are accepted, each recognised by its signature and a structural check of its
start and end, so a renamed executable, script or archive is refused whatever it is called. Files are
stored content-addressed — the file name is the SHA-256 of the content — in a directory that no web
server serves, written to a temporary file first and renamed into place, so a reader never sees half a
file; the hash is checked again when a file is read back.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
import unicodedata
import zlib
from pathlib import Path

from .errors import EngineError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DIRECTORY_VARIABLE = "MATERIALS_DIR"
DEFAULT_DIRECTORY = Path("instance") / "materials"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_TRAILING = b"\x00\t\n\r\x0c "
_SHA256 = re.compile(r"[0-9a-f]{64}")


class MaterialRejected(EngineError):
    """The upload is not stored."""


class MaterialTooLarge(MaterialRejected):
    pass


class UnsupportedMaterial(MaterialRejected):
    pass


class MaterialCorrupted(EngineError):
    """A stored file no longer matches its hash."""


def _is_jpeg(content: bytes) -> bool:
    """SOI and the start of a marker segment, and EOI at the end (trailing padding allowed)."""
    return content[:3] == b"\xff\xd8\xff" and content.rstrip(_TRAILING)[-2:] == b"\xff\xd9"


def _is_png(content: bytes) -> bool:
    """Signature, then an IHDR chunk of 13 bytes with a non-empty size and a good CRC, then IEND last."""
    if not content.startswith(PNG_SIGNATURE) or len(content) < 8 + 25 + 12:
        return False
    length, kind = struct.unpack(">I4s", content[8:16])
    if length != 13 or kind != b"IHDR":
        return False
    header = content[16:29]
    width, height = struct.unpack(">II", header[:8])
    (crc,) = struct.unpack(">I", content[29:33])
    return width > 0 and height > 0 and crc == zlib.crc32(b"IHDR" + header) and content.endswith(PNG_IEND)


def _is_pdf(content: bytes) -> bool:
    """``%PDF-1.x`` / ``%PDF-2.0`` at the very start and ``%%EOF`` in the last kilobyte."""
    return bool(_PDF_HEADER.match(content)) and b"%%EOF" in content[-1024:]


SNIFFERS = (("image/jpeg", _is_jpeg), ("image/png", _is_png), ("application/pdf", _is_pdf))
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def detect_media_type(content: bytes) -> str:
    """The media type ``content`` really has; :class:`UnsupportedMaterial` unless JPEG, PNG or PDF."""
    for media_type, looks_like in SNIFFERS:
        if looks_like(content):
            return media_type
    raise UnsupportedMaterial("only JPEG, PNG or PDF files are accepted (仅接受 JPEG、PNG 或 PDF 文件)")


def check_upload(content: bytes, max_bytes: int) -> str:
    """Size first (:class:`MaterialTooLarge`), then the type; the detected media type."""
    if len(content) > max_bytes:
        raise MaterialTooLarge(f"a material may be at most {max_bytes} bytes")
    if not content:
        raise UnsupportedMaterial("the file is empty (文件为空)")
    return detect_media_type(content)


def sanitize_filename(name: str | None) -> str | None:
    """The name as given, reduced to its last path component, without control characters, ≤ 255 chars."""
    if not name:
        return None
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:255] or None


def configured_directory() -> Path:
    """Where the service keeps materials: ``MATERIALS_DIR``, else ``instance/materials``."""
    return Path(os.environ.get(DIRECTORY_VARIABLE) or DEFAULT_DIRECTORY)


class MaterialStore:
    """Files named by their SHA-256 in ``directory`` (created on first write, private to the service)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.directory / sha256

    def put(self, content: bytes) -> str:
        """Store ``content`` (once: the same bytes share one file); its SHA-256."""
        sha256 = hashlib.sha256(content).hexdigest()
        path = self._path(sha256)
        if path.exists():
            return sha256
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return sha256

    def delete(self, sha256: str) -> int:
        """Delete the file of ``sha256`` (the retention's erasure); 1 if there was one, else 0."""
        path = self._path(sha256)
        if not path.exists():
            return 0
        path.unlink(missing_ok=True)
        return 1

    def get(self, sha256: str) -> bytes:
        content = self._path(sha256).read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            raise MaterialCorrupted("a stored material does not match its hash")
        return content
