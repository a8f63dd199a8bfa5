"""The working copy of a project's linked repository: a local folder as it is, or a git URL
cloned (shallow) into ``$LORE_HOME/repos/<name>`` and brought up to date on later runs."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from lore.errors import LoreError
from lore.git import GIT_TIMEOUT_S, run_git

CLONE_DEPTH = 50
_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_url(repo: str) -> bool:
    return bool(_URL.match(repo))


def working_copy(repo: str, home: Path) -> Path:
    """The folder holding ``repo``'s files; raises LoreError when it cannot be had."""
    if not is_url(repo):
        folder = Path(repo).expanduser()
        if not folder.is_dir():
            raise LoreError(f"the linked repository {repo} is not a folder")
        return folder
    target = home / "repos" / clone_name(repo)
    if (target / ".git").is_dir():
        _update(target)
    else:
        _clone(repo, target)
    return target


def clone_name(url: str) -> str:
    """A folder name for a URL: its last path segment plus a short hash (two URLs ending in the
    same name do not collide)."""
    tail = re.sub(r"\.git$", "", url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    safe = re.sub(r"[^\w.-]+", "-", tail) or "repo"
    return f"{safe}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def _clone(url: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["git", "clone", "--quiet", "--depth", str(CLONE_DEPTH), url, str(target)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise LoreError(f"cloning {url} took longer than {GIT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise LoreError(f"cannot clone {url}: {done.stderr.strip()[:300]}")


def _update(target: Path) -> None:
    """Fetch and move to the remote's head; the clone is lore's own, so nothing local is lost."""
    run_git(target, "fetch", "--quiet", "--depth", str(CLONE_DEPTH), "origin")
    run_git(target, "reset", "--quiet", "--hard", "FETCH_HEAD")
