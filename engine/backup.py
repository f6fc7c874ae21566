"""``onething db backup`` / ``onething db restore``: the database and the uploaded materials in one archive.

The archive is a tar file (readable with ``tar tvf``) of

* ``manifest.json`` -- what it is: format, when, which kind of database at which schema revision, the
  database copy's size and SHA-256, the materials' count;
* ``database.pgdump`` (``pg_dump``'s custom format) or ``database.sqlite3`` (SQLite's online backup): a
  consistent snapshot (``engine.persistence.dump``), taken while the service runs;
* ``materials/<sha256>`` -- every uploaded file of ``MATERIALS_DIR``.

The database is copied first, the materials after: a material's file is stored before the row naming it
is committed, so every file the snapshot names is in the directory when the materials are copied (files
uploaded meanwhile come along and are harmless). The archive is written beside ``FILE`` and renamed into
place when whole, readable by its owner only: it holds personal data.

A restore reads the whole archive before it changes anything (the manifest, the copy's hash, each
material against its name), refuses a database that holds tables unless forced, adds the materials to
the directory (content-addressed: a file there already is kept), loads the database, and says which
materials it records have no file (one found damaged when the backup was taken is left out of it, and
said then too). Nothing either prints names a person: counts, sizes, the start of a hash.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Callable

from .persistence import dump as database
from .persistence import migrations
from .persistence.dump import DumpError

FORMAT = "onething-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {database.POSTGRESQL: "database.pgdump", database.SQLITE: "database.sqlite3"}
MATERIALS = "materials/"
_SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 1024 * 1024

Progress = Callable[[str], None]


class BackupError(RuntimeError):
    """The backup or restore did not happen (or not whole); the message says why and what to do."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    kind: str
    revision: str | None
    applications: int
    active: int
    materials: int
    size: int
    notes: tuple[str, ...] = ()  # what went wrong without stopping it (a damaged material left out)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def _copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stored_materials(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _SHA256.fullmatch(p.name) and p.is_file())


# --- backup ----------------------------------------------------------------------------------------------


def backup(url: str, materials_dir: Path, target: Path, progress: Progress = print) -> Outcome:
    """Write the archive of the database of ``url`` and the materials of ``materials_dir`` to ``target``."""
    try:
        return _backup(url, materials_dir, target, progress)
    except DumpError as err:
        raise BackupError(str(err)) from err
    except OSError as err:  # a full disk, a directory it may not write
        raise BackupError(f"{err.strerror or err}: {err.filename or target}") from err


def _backup(url: str, materials_dir: Path, target: Path, progress: Progress) -> Outcome:
    kind = database.kind_of(url)
    if target.exists():
        raise BackupError(f"{target} exists already: give a new file name (a backup never overwrites one)")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    before = database.contents(url)
    if before.empty:
        raise BackupError(f"the {database.describe(url)} is empty: there is nothing to back up")
    progress(f"backup: {database.describe(url)}, schema revision {before.revision or '(none)'}")
    partial = target.with_name(f".{target.name}.partial")
    notes: list[str] = []
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".onething-backup-") as work:
            copy = Path(work) / DATABASE_MEMBER[kind]
            how = database.dump(url, copy)
            database_sha256 = _file_sha256(copy)
            progress(f"backup: database copied ({how}): {_size(copy.stat().st_size)}")
            files = _stored_materials(materials_dir)
            after = database.contents(url)
            missing = sorted(after.materials - {p.name for p in files})
            if missing:  # the database names files the directory lacks: said, never hidden
                notes.append(
                    f"{len(missing)} material file(s) recorded in the database are not in "
                    f"{materials_dir}: {', '.join(m[:12] for m in missing[:5])}"
                )
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "database": {
                    "kind": kind,
                    "member": copy.name,
                    "revision": before.revision,
                    "size": copy.stat().st_size,
                    "sha256": database_sha256,
                    "made_with": how,
                },
                "applications": after.applications,
                "active": after.active,
                "materials": {"directory": MATERIALS, "count": len(files)},
            }
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), 0o600, int(datetime.now().timestamp())
                tar.addfile(info, io.BytesIO(body))
                _add_file(tar, copy, copy.name)
                stored = 0
                for n, path in enumerate(files, 1):
                    added = _add_material(tar, path)
                    if added is None:
                        notes.append(
                            f"material {path.name[:12]}… no longer matches its hash (damaged on disk): left out"
                        )
                    else:
                        stored += added
                    if n % 500 == 0:
                        progress(f"backup: materials {n}/{len(files)}")
                progress(f"backup: materials {len(files)} file(s), {_size(stored)}")
                tar.close()
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    size = target.stat().st_size
    progress(
        f"backup: written {target} ({_size(size)}): {after.applications} application(s), "
        f"{after.active} active, {len(files)} material file(s)"
    )
    return Outcome(target, kind, before.revision, after.applications, after.active, len(files), size, tuple(notes))


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> int:
    """Add a file under ``name``, owned by nobody in particular, readable by its owner only; its size."""
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with open(path, "rb") as handle:
        tar.addfile(info, handle)
    return info.size


def _add_material(tar: tarfile.TarFile, path: Path) -> int | None:
    """Add one material if its bytes still match its name; its size (None: damaged, left out)."""
    if _file_sha256(path) != path.name:
        return None
    return _add_file(tar, path, MATERIALS + path.name)


# --- restore ---------------------------------------------------------------------------------------------


def _manifest(tar: tarfile.TarFile, source: Path) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(_member_file(tar, member, source).read())
    except (KeyError, BackupError, ValueError) as err:
        raise BackupError(f"{source} is not an onething backup (no readable {MANIFEST})") from err
    if not isinstance(manifest, dict):
        raise BackupError(f"{source} is not an onething backup (its {MANIFEST} is not a JSON object)")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not an onething backup")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{source} is a backup of format version {manifest.get('version')}; this release reads version {VERSION}"
        )
    described = manifest.get("database")
    if not isinstance(described, dict) or not {"kind", "member", "revision", "sha256"} <= described.keys():
        raise BackupError(f"{source}: its {MANIFEST} does not describe the database copy: the archive is damaged")
    return manifest


def _member_file(tar: tarfile.TarFile, member: tarfile.TarInfo, source: Path) -> IO[bytes]:
    """The content of a file in the archive."""
    found = tar.extractfile(member)
    if found is None:
        raise BackupError(f"{source}: {member.name!r} is not a file: not restored")
    return found


def _members(tar: tarfile.TarFile, manifest: dict, source: Path) -> tuple[tarfile.TarInfo, list[tarfile.TarInfo]]:
    """The database member and the materials; anything else in the archive refuses it."""
    wanted = manifest["database"]["member"]
    copy, materials = None, []
    for member in tar.getmembers():
        if member.name == MANIFEST:
            continue
        if not member.isfile():
            raise BackupError(f"{source}: unexpected entry {member.name!r} (not a file): not restored")
        if member.name == wanted:
            copy = member
        elif member.name.startswith(MATERIALS) and _SHA256.fullmatch(member.name[len(MATERIALS) :]):
            materials.append(member)
        else:
            raise BackupError(f"{source}: unexpected entry {member.name!r}: not restored")
    if copy is None:
        raise BackupError(f"{source} holds no {wanted}: it is incomplete")
    return copy, materials


def restore(url: str, materials_dir: Path, source: Path, *, force: bool = False, progress: Progress = print) -> Outcome:
    """Restore the archive ``source`` into the (empty) database of ``url`` and into ``materials_dir``."""
    try:
        return _restore(url, materials_dir, source, force, progress)
    except DumpError as err:
        raise BackupError(str(err)) from err
    except tarfile.TarError as err:  # cut short, or overwritten in the middle
        raise BackupError(f"{source} is damaged ({err}): nothing restored from it") from err
    except OSError as err:
        raise BackupError(f"{err.strerror or err}: {err.filename or source}") from err


def _restore(url: str, materials_dir: Path, source: Path, force: bool, progress: Progress) -> Outcome:
    kind = database.kind_of(url)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    try:
        tar = tarfile.open(source, mode="r:")
    except (tarfile.TarError, OSError) as err:
        raise BackupError(f"{source} is not an onething backup (not a tar archive: {err})") from err
    with tar, tempfile.TemporaryDirectory(prefix="onething-restore-") as work:
        manifest = _manifest(tar, source)
        made_of = manifest["database"]["kind"]
        if made_of != kind:
            raise BackupError(
                f"{source} is a backup of a {made_of} database; DATABASE_URL names a {kind} one: "
                f"restore it into a {made_of} database"
            )
        revision = manifest["database"]["revision"]
        if revision and not migrations.known(revision):
            raise BackupError(
                f"{source} is at schema revision {revision}, which this release does not know "
                f"(made by a newer release): restore it with that release"
            )
        copy_member, material_members = _members(tar, manifest, source)
        progress(
            f"restore: {source} of {manifest.get('created_at', '?')}: {manifest['database']['kind']} at schema "
            f"revision {revision}, {manifest.get('applications', '?')} application(s), "
            f"{len(material_members)} material file(s)"
        )

        target = database.contents(url)
        if not target.empty and not force:
            shown = ", ".join(target.tables[:4]) + (", …" if len(target.tables) > 4 else "")
            raise BackupError(
                f"the {database.describe(url)} is not empty ({len(target.tables)} table(s): {shown}): "
                f"a backup is restored into an empty database only -- create a new one, or add "
                f"--force to replace what this one holds"
            )

        copy = Path(work) / copy_member.name
        with _member_file(tar, copy_member, source) as member, open(copy, "wb") as out:
            sha256, _ = _copy_hashing(member, out)
        if sha256 != manifest["database"]["sha256"]:
            raise BackupError(f"{source}: the database copy does not match its hash: the archive is damaged")
        try:
            database.check(kind, copy)
        except DumpError as err:
            raise BackupError(f"{source}: {err}") from err

        added = _restore_materials(tar, material_members, materials_dir, source, progress)
        progress(f"restore: materials {len(material_members)} file(s) in {materials_dir} ({added} added)")
        progress(f"restore: loading the database into the {database.describe(url)}")
        database.load(url, copy, replace=force)

    restored = database.contents(url)
    present = {p.name for p in _stored_materials(materials_dir)}
    missing = sorted(restored.materials - present)
    notes = []
    if missing:  # left out of the backup (damaged on disk then) or lost before it: said, never hidden
        notes.append(
            f"{len(missing)} material file(s) the database records are not in {materials_dir}: "
            f"{', '.join(m[:12] for m in missing[:5])}"
        )
    progress(
        f"restore: done: {restored.applications} application(s), {restored.active} active, schema revision "
        f"{restored.revision}"
    )
    if restored.revision != migrations.head():
        progress(
            f"restore: this release's schema is {migrations.head()}: run `onething db upgrade` before "
            f"starting the service"
        )
    return Outcome(
        source,
        kind,
        restored.revision,
        restored.applications,
        restored.active,
        len(material_members),
        source.stat().st_size,
        tuple(notes),
    )


def _restore_materials(
    tar: tarfile.TarFile, members: list[tarfile.TarInfo], directory: Path, source: Path, progress: Progress
) -> int:
    """Check every material against its name, then put the ones missing in place; how many were added."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".restore-"))
    try:
        staged = []
        for n, member in enumerate(members, 1):
            name = member.name[len(MATERIALS) :]
            if (directory / name).is_file() and _file_sha256(directory / name) == name:
                continue
            with _member_file(tar, member, source) as content, open(staging / name, "wb") as out:
                sha256, _ = _copy_hashing(content, out)
                out.flush()
                os.fsync(out.fileno())
            if sha256 != name:
                raise BackupError(
                    f"{source}: material {name[:12]}… does not match its hash: the archive is "
                    f"damaged (nothing restored)"
                )
            staged.append(name)
            if n % 500 == 0:
                progress(f"restore: materials checked {n}/{len(members)}")
        for name in staged:
            os.replace(staging / name, directory / name)
        return len(staged)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
