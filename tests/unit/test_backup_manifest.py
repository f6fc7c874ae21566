"""``onething db restore`` refuses an archive whose manifest is not what a backup writes -- not a JSON object
(a list, a string, a number, null), or without its database copy's description -- with one line saying so,
before it touches the database."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from engine.backup import FORMAT, MANIFEST, VERSION, BackupError, restore
from engine.cli import main


def _archive(path, manifest_text: str):
    body = manifest_text.encode()
    with tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return path


@pytest.mark.parametrize("manifest", ["[]", '["onething-backup", 1]', '"onething-backup"', "42", "null", "true"])
def test_a_manifest_that_is_not_an_object_is_refused(tmp_path, manifest):
    archive = _archive(tmp_path / "backup.tar", manifest)
    with pytest.raises(BackupError, match="is not a JSON object"):
        restore(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "materials", archive)
    assert not (tmp_path / "target.db").exists()  # refused before the database was opened


@pytest.mark.parametrize("database", [None, "sqlite", ["kind"], {"kind": "sqlite"}])
def test_a_manifest_without_its_database_copy_described_is_refused(tmp_path, database):
    manifest = {"format": FORMAT, "version": VERSION, "created_at": "2026-01-01T00:00:00+00:00"}
    if database is not None:
        manifest["database"] = database
    archive = _archive(tmp_path / "backup.tar", json.dumps(manifest))
    with pytest.raises(BackupError, match="does not describe the database copy"):
        restore(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "materials", archive)


def test_the_command_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    archive = _archive(tmp_path / "backup.tar", '["not", "a", "manifest"]')
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'target.db'}")
    monkeypatch.setenv("MATERIALS_DIR", str(tmp_path / "materials"))
    assert main(["db", "restore", str(archive)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"error: {archive} is not an onething backup (its {MANIFEST} is not a JSON object)"
    ]
