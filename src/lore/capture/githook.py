"""The git post-commit hook that runs ``lore digest`` after every commit.

The hook starts the digest detached in the background, with its output in
``$LORE_HOME/logs/git-hook.log``, and always exits with the status of whatever hook it chains:
a commit is never slowed down or failed by lore. A post-commit hook that was there before is
kept as ``post-commit.pre-lore`` and run first; uninstalling puts it back.
"""

from __future__ import annotations

import shlex
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from lore.capture.git import repo_root
from lore.errors import ConflictError
from lore.git import run_git

HOOK = "post-commit"
CHAINED = "post-commit.pre-lore"
MARKER = "# lore post-commit hook"
LOG_FILE = "git-hook.log"


@dataclass(frozen=True)
class HookChange:
    path: Path
    action: str  # installed, updated, uninstalled, absent
    chained: Path | None = None


def install_hook(path: Path, home: Path, database_url: str = "") -> HookChange:
    """Install (or refresh) the hook of the repository holding ``path``. ``home`` and
    ``database_url`` are the defaults the hook uses when the committing shell sets none."""
    hook = hooks_dir(path) / HOOK
    chained = hook.with_name(CHAINED)
    ours = hook.is_file() and is_lore_hook(hook)
    if hook.exists() and not ours:
        if chained.exists():
            raise ConflictError(f"both {hook} and {chained} exist: move one of them away first")
        hook.rename(chained)
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(hook_script(home, database_url))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return HookChange(
        hook, "updated" if ours else "installed", chained if chained.exists() else None
    )


def uninstall_hook(path: Path) -> HookChange:
    """Remove lore's hook and put back the one it chained, if any."""
    hook = hooks_dir(path) / HOOK
    chained = hook.with_name(CHAINED)
    if not (hook.is_file() and is_lore_hook(hook)):
        return HookChange(hook, "absent")
    hook.unlink()
    if chained.exists():
        chained.rename(hook)
        return HookChange(hook, "uninstalled", hook)
    return HookChange(hook, "uninstalled")


def hooks_dir(path: Path) -> Path:
    """Where git looks for hooks (honours ``core.hooksPath`` and worktrees)."""
    root = repo_root(path)
    hooks = Path(run_git(root, "rev-parse", "--git-path", "hooks").strip())
    return hooks if hooks.is_absolute() else root / hooks


def is_lore_hook(hook: Path) -> bool:
    return MARKER in hook.read_text(errors="replace")


def hook_script(home: Path, database_url: str = "") -> str:
    """The hook: chain the previous hook, then start ``lore digest --hook`` detached."""
    command = shlex.join([sys.executable, "-m", "lore", "digest", "--hook"])
    database = (
        f'LORE_DATABASE_URL="${{LORE_DATABASE_URL:-{_sh_escape(database_url)}}}"\n'
        "export LORE_DATABASE_URL\n"
        if database_url
        else ""
    )
    return f"""#!/bin/sh
{MARKER}: installed by `lore hook install`, removed by `lore hook uninstall`.
# It runs `lore digest` in the background and never fails or slows the commit.
status=0
chained="$(dirname "$0")/{CHAINED}"
if [ -x "$chained" ]; then
  "$chained" "$@"
  status=$?
fi
LORE_HOME="${{LORE_HOME:-{_sh_escape(str(home))}}}"
export LORE_HOME
{database}mkdir -p "$LORE_HOME/logs" 2>/dev/null
( nohup {command} >>"$LORE_HOME/logs/{LOG_FILE}" 2>&1 </dev/null & ) >/dev/null 2>&1 </dev/null
exit $status
"""


def _sh_escape(value: str) -> str:
    """Escape for the inside of a double-quoted shell word."""
    for char in ("\\", '"', "$", "`"):
        value = value.replace(char, "\\" + char)
    return value
