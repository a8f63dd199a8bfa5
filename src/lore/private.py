"""What lore writes for its owner alone: the lore home is 0700, and the database (with its WAL),
the token, the spool and the logs in it are 0600. A home an older lore created 0755 is
tightened when lore opens it. Folders outside the home (a database put elsewhere) are created
but never changed: they are the user's.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter, created if needed (with any missing
    parent folders, private too)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
    _restrict(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file only its owner can read, created empty if needed."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _restrict(path, FILE_MODE)
    return path


def _restrict(path: Path, mode: int) -> None:
    info = path.stat()
    if stat.S_IMODE(info.st_mode) & ~mode and info.st_uid == os.getuid():
        path.chmod(mode)
