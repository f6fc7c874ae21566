"""Recognising uploaded files by their bytes, cleaning their names, and the content-addressed store."""

from __future__ import annotations

import hashlib

import pytest

from engine.materials import (
    MaterialCorrupted,
    MaterialStore,
    MaterialTooLarge,
    UnsupportedMaterial,
    check_upload,
    detect_media_type,
    sanitize_filename,
)
from tests.sample_files import DISGUISED, jpeg, pdf, png


@pytest.mark.parametrize(
    "content, media_type",
    [
        (jpeg(), "image/jpeg"),
        (jpeg() + b"\x00\x00\n", "image/jpeg"),
        (png(), "image/png"),
        (png(640, 480), "image/png"),
        (pdf(), "application/pdf"),
        (b"%PDF-2.0\n" + b"x" * 5000 + b"\n%%EOF", "application/pdf"),
    ],
)
def test_genuine_files_are_recognised(content, media_type):
    assert detect_media_type(content) == media_type


@pytest.mark.parametrize("kind", sorted(DISGUISED))
def test_disguised_and_truncated_files_are_refused(kind):
    with pytest.raises(UnsupportedMaterial):
        check_upload(DISGUISED[kind], 1024)


@pytest.mark.parametrize(
    "content",
    [
        png()[:16] + b"\x00" * 13 + png()[29:],  # IHDR with a zero size and a wrong CRC
        png().replace(b"IHDR", b"IHDX", 1),  # first chunk is not IHDR
        b"  %PDF-1.7\n%%EOF",  # header not at the start
        pdf() + b"\x00" * 2000,  # %%EOF not near the end
        b"\xff\xd8\xff" + b"MZ" * 10,  # no EOI
    ],
)
def test_structure_is_checked_not_only_the_signature(content):
    with pytest.raises(UnsupportedMaterial):
        detect_media_type(content)


def test_size_is_checked_before_the_type():
    with pytest.raises(MaterialTooLarge):
        check_upload(DISGUISED["elf"], 10)
    assert check_upload(pdf(), len(pdf())) == "application/pdf"


@pytest.mark.parametrize(
    "given, kept",
    [
        ("结婚证.pdf", "结婚证.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\王\\身份证.jpg", "身份证.jpg"),
        ("a\x00b\r\nc.png", "abc.png"),
        (".htaccess", "htaccess"),
        ("", None),
        (None, None),
        ("../", None),
        ("x" * 300 + ".pdf", "x" * 255),
    ],
)
def test_filenames_are_sanitized(given, kept):
    assert sanitize_filename(given) == kept


def test_store_is_content_addressed_and_checks_the_hash(tmp_path):
    store = MaterialStore(tmp_path / "m")
    sha = store.put(pdf())
    assert sha == hashlib.sha256(pdf()).hexdigest()
    assert store.put(pdf()) == sha and [p.name for p in (tmp_path / "m").iterdir()] == [sha]
    assert store.get(sha) == pdf()
    (tmp_path / "m" / sha).write_bytes(pdf("tampered"))
    with pytest.raises(MaterialCorrupted):
        store.get(sha)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")
