"""Small genuine JPEG, PNG and PDF files, and things dressed up as them, for the materials tests."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg(extra: bytes = b"") -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + extra + b"\xff\xd9"


def pdf(text: str = "hello", size: int = 0) -> bytes:
    body = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " + text.encode() + b"\n"
    padding = b"%" + b"0" * max(size - len(body) - 30, 0) + b"\n" if size else b""
    return body + padding + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


DISGUISED = {
    "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,
    "pe": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00",
    "script": b"#!/bin/sh\nrm -rf / --no-preserve-root\n",
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"PK\x05\x06" + b"\x00" * 18,
    "html": b"<html><script>alert(1)</script></html>",
    "truncated_pdf": b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n",
    "truncated_png": png()[:40],
    "truncated_jpeg": jpeg()[:-2],
    "empty": b"",
}
