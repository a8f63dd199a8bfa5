"""Running git: the one helper every part that reads a repository uses (the digest, the scan,
the hook, linked repositories)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lore.errors import ConfigError, LoreError

GIT_TIMEOUT_S = 120


def run_git(root: Path, *args: str, check: bool = True) -> str:
    """Run ``git -C root ARGS`` and return its output; a failure raises LoreError."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=GIT_TIMEOUT_S,
        )
    except FileNotFoundError:
        raise ConfigError("git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise LoreError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s") from None
    if check and done.returncode != 0:
        raise LoreError(f"git {args[0]} failed: {done.stderr.strip()[:300]}")
    return done.stdout
