"""``onevisit backup`` / ``onevisit restore``: the hall's database and its CA in one archive.

The database is copied with SQLite's online backup API (``sqlite3.Connection.backup``): a consistent
snapshot of the event log, the tickets' idempotency replies, the accounts and the device registry, taken while
the controller keeps running (the copy restarts by itself if the controller writes during a step). The
enrolment folder (hall CA key and certificate, server certificate, CRL, broker and manager secrets) and, when
given, the broker's dynamic-security file go in beside it, byte for byte. A ``manifest.json`` lists every
member with its SHA-256; ``restore`` checks them all and the database's ``integrity_check`` before anything is
put back, so a damaged archive never replaces a working hall.

The archive holds the CA's private key and every secret: it is written 0600, and belongs on a medium that is
kept like the server itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import sqlite3
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

log = logging.getLogger(__name__)

FORMAT = "onevisit-backup-1"
DB_MEMBER = "hall.db"
STATE_MEMBER = "enrollment"
DYNSEC_MEMBER = "dynamic-security.json"
_PAGES_PER_STEP = 256  # the controller may write between steps: its transactions wait at most one step


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why."""


@dataclass(frozen=True)
class Manifest:
    created_at: float
    files: dict[str, str]  # member name → sha256
    db_pages: int

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "created_at": self.created_at, "db_pages": self.db_pages,
                           "files": self.files}, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw = json.loads(data)
        if raw.get("format") != FORMAT:
            raise BackupError(f"not a OneVisit backup (format {raw.get('format')!r})")
        return cls(float(raw["created_at"]), dict(raw["files"]), int(raw["db_pages"]))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot_db(db: Path, dest: Path) -> int:
    """A consistent copy of ``db`` at ``dest`` through the online backup API; returns its page count."""
    if not db.exists():
        raise BackupError(f"no database at {db}")
    src = sqlite3.connect(db, timeout=30)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out, pages=_PAGES_PER_STEP, sleep=0.005)
            # the copy of a WAL database is a plain rollback-journal file; make it self-contained
            out.execute("PRAGMA journal_mode=DELETE")
            check = out.execute("PRAGMA integrity_check").fetchone()[0]
            pages = int(out.execute("PRAGMA page_count").fetchone()[0])
        finally:
            out.close()
    finally:
        src.close()
    if check != "ok":
        raise BackupError(f"the copy of {db} fails its integrity check: {check}")
    return pages


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o600) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def backup(db: Path, state_dir: Path, out: Path, *, dynsec_file: Path | None = None) -> Manifest:
    """Write the archive ``out`` (0600). The controller may keep running."""
    if not (state_dir / "ca" / "ca.key").exists():
        raise BackupError(f"no hall CA in {state_dir}")
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="onevisit-backup-") as tmp:
        copy = Path(tmp) / DB_MEMBER
        pages = snapshot_db(db, copy)
        members: list[tuple[str, bytes, int]] = [(DB_MEMBER, copy.read_bytes(), 0o600)]
        for f in sorted(p for p in state_dir.rglob("*") if p.is_file()):
            rel = PurePosixPath(STATE_MEMBER) / f.relative_to(state_dir).as_posix()
            members.append((str(rel), f.read_bytes(), f.stat().st_mode & 0o777))
        if dynsec_file is not None and dynsec_file.exists():
            members.append((DYNSEC_MEMBER, dynsec_file.read_bytes(), 0o600))
        for name, data, _ in members:
            files[name] = _sha256(data)
        manifest = Manifest(time.time(), files, pages)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w") as tar:
                _add(tar, "manifest.json", manifest.to_json(), 0o644)
                for name, data, mode in members:
                    _add(tar, name, data, mode)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)
    log.info("backup %s: database %d pages, %d files", out, pages, len(files))
    return manifest


def read_archive(archive: Path) -> tuple[Manifest, dict[str, tuple[bytes, int]]]:
    """Every member, checked against the manifest (and the database against its integrity check)."""
    try:
        with tarfile.open(archive, mode="r") as tar:
            members: dict[str, tuple[bytes, int]] = {}
            for info in tar.getmembers():
                if not info.isfile():
                    continue
                parts = PurePosixPath(info.name)
                if parts.is_absolute() or ".." in parts.parts:
                    raise BackupError(f"unsafe name in archive: {info.name}")
                f = tar.extractfile(info)
                assert f is not None
                members[info.name] = (f.read(), info.mode & 0o777)
    except (OSError, tarfile.TarError) as err:
        raise BackupError(f"cannot read {archive}: {err}") from err
    if "manifest.json" not in members:
        raise BackupError(f"{archive} has no manifest.json")
    manifest = Manifest.from_json(members.pop("manifest.json")[0])
    if set(members) != set(manifest.files):
        raise BackupError(f"{archive}: members {sorted(set(members) ^ set(manifest.files))} do not match the manifest")
    for member, (data, _) in members.items():
        if _sha256(data) != manifest.files[member]:
            raise BackupError(f"{archive}: {member} is damaged (checksum mismatch)")
    return manifest, members


def _check_db_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="onevisit-restore-") as tmp:
        path = Path(tmp) / DB_MEMBER
        path.write_bytes(data)
        con = sqlite3.connect(path)
        try:
            check = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
    if check != "ok":
        raise BackupError(f"the database in the archive fails its integrity check: {check}")


def _owner_of(folder: Path) -> tuple[int, int]:
    st = folder.stat()
    return st.st_uid, st.st_gid


def _put(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.restoring")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    if owner is not None:
        os.chown(tmp, *owner)
    os.replace(tmp, path)


def restore(archive: Path, db: Path, state_dir: Path, *, dynsec_file: Path | None = None,
            force: bool = False) -> Manifest:
    """Put the archive's database and enrolment folder back. The controller must be stopped.

    Existing files are refused unless ``force``; then they are moved aside as ``*.before-restore``. Files get
    the owner of the folder they go into (``onevisit`` on an installed hall) when run as root."""
    manifest, members = read_archive(archive)
    _check_db_bytes(members[DB_MEMBER][0])
    existing = [p for p in (db, state_dir) if p.exists()]
    if existing and not force:
        raise BackupError(f"{', '.join(map(str, existing))} already exist: stop the controller and use --force "
                          "(they are kept as *.before-restore)")
    for p in existing:
        aside = p.with_name(p.name + ".before-restore")
        if aside.exists():
            raise BackupError(f"{aside} is in the way: move it somewhere safe first")
        os.replace(p, aside)
    for suffix in ("-wal", "-shm", "-journal"):  # a stale WAL next to the restored file would be replayed into it
        stale = db.with_name(db.name + suffix)
        if stale.exists():
            os.replace(stale, stale.with_name(stale.name + ".before-restore"))
    db.parent.mkdir(parents=True, exist_ok=True)
    owner = _owner_of(db.parent) if os.geteuid() == 0 else None
    data, mode = members[DB_MEMBER]
    _put(db, data, mode, owner)
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o755)
    if owner is not None:
        os.chown(state_dir, *owner)
    for name, (data, mode) in sorted(members.items()):
        rel = PurePosixPath(name)
        if rel.parts[0] != STATE_MEMBER:
            continue
        target = state_dir.joinpath(*rel.parts[1:])
        if not target.parent.exists():
            target.parent.mkdir(parents=True)
            os.chmod(target.parent, 0o755)
            if owner is not None:
                os.chown(target.parent, *owner)
        _put(target, data, mode, owner)
    if dynsec_file is not None and DYNSEC_MEMBER in members:
        broker_owner = _owner_of(dynsec_file.parent) if os.geteuid() == 0 and dynsec_file.parent.exists() else None
        if dynsec_file.exists():
            with contextlib.suppress(OSError):
                os.replace(dynsec_file, dynsec_file.with_name(dynsec_file.name + ".before-restore"))
        _put(dynsec_file, members[DYNSEC_MEMBER][0], 0o600, broker_owner)
    log.info("restored %s from %s (taken %s)", db, archive, time.ctime(manifest.created_at))
    return manifest


def backup_cli(db: Path, state_dir: Path, out: Path, *, dynsec_file: Path | None = None,
               stream: TextIO | None = None) -> int:
    stream = stream or sys.stdout
    try:
        manifest = backup(db, state_dir, out, dynsec_file=dynsec_file)
    except (BackupError, sqlite3.Error, OSError) as err:
        print(f"备份失败 / backup failed: {err}", file=stream)
        return 1
    print(f"备份完成 / backup written: {out} (0600; {len(manifest.files)} files, database {manifest.db_pages} "
          "pages). It holds the hall CA key: keep it like the server.", file=stream)
    return 0


def restore_cli(archive: Path, db: Path, state_dir: Path, *, dynsec_file: Path | None = None, force: bool = False,
                stream: TextIO | None = None) -> int:
    stream = stream or sys.stdout
    try:
        manifest = restore(archive, db, state_dir, dynsec_file=dynsec_file, force=force)
    except (BackupError, sqlite3.Error, OSError) as err:
        print(f"恢复失败 / restore failed: {err}", file=stream)
        return 1
    print(f"恢复完成 / restored the backup of {time.ctime(manifest.created_at)} into {db} and {state_dir}; "
          "restart the broker (if its dynamic-security file was restored) and the controller.", file=stream)
    return 0
