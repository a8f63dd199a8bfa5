"""A per-session spool of hook records: the hook appends a JSON line and returns; a background
drain stores the records through capture. Standard library only (the hook's hot path), and
lore's redaction, which is too: a record is redacted before it touches the disk.

Appends and claims lock the file (``flock``). A claim renames the file, so a writer that opened
the old name re-checks, after taking the lock, that its file is still the spool and reopens it
otherwise; no record is written into a file that was already drained.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lore.capture.redact import redact
from lore.private import private_dir

SUFFIX = ".jsonl"
CLAIMED = ".draining"
UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def spool_dir(home: Path) -> Path:
    return home / "spool" / "claude-code"


def spool_file(home: Path, session_id: str) -> Path:
    name = UNSAFE.sub("_", session_id)[:100] or "unknown"
    return spool_dir(home) / f"{name}{SUFFIX}"


def append(path: Path, record: dict[str, Any]) -> None:
    clean = redact(record)
    line = (json.dumps(clean, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    private_dir(path.parent)
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _still_named(fd, path):
                os.write(fd, line)
                return
        finally:
            os.close(fd)


def claim(path: Path) -> Path | None:
    """Take a spool file for draining: rename it under the lock; None when it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not _still_named(fd, path):
            return None
        claimed = path.with_name(f"{path.name}{CLAIMED}-{os.getpid()}")
        os.rename(path, claimed)
        return claimed
    finally:
        os.close(fd)


def pending(home: Path) -> list[Path]:
    """Spool files waiting, oldest first, and claims left by a drain that died."""
    folder = spool_dir(home)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.name.endswith(SUFFIX) or CLAIMED in p.name]
    return sorted(files, key=lambda p: p.stat().st_mtime)


def records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a claimed file; a torn last line (a writer killed mid-write) is skipped."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


def _still_named(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
