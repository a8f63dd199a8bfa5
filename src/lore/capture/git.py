"""Git digest: capture a repository's commits, one ``git_digest`` event each: the whole history
the first time (up to ``capture.digest_first_run``, newest first), then the commits made since
the last digest; ``since``, ``max_commits`` and ``everything`` reach further back.

Plain ``git`` through subprocess, two calls per run: ``git log --numstat`` for the metadata and the
changed files, and a streamed ``git log -p`` for the diffs, so a huge commit costs reading, not
memory. Each diff keeps only files outside ``capture.exclude_paths``, is redacted whole and then
cut to ``capture.diff_max_chars`` (redacting before cutting, so a cut can never leave half a token
that the patterns no longer recognise).

One event per commit, not one per run, because:
- a commit is the natural step of an episode (what was done, with its evidence), so enrichment and
  provenance links point at one commit rather than at a bundle of twenty;
- each event gets an idempotency key of what the commit is (author, author time, subject, files:
  ``commit_key``), not of its sha, so a commit is stored once however often it is digested, and
  a rebased or cherry-picked copy of it too (a rewritten history, a lost state, two hooks
  racing);
- twenty commits with 3,000-character diffs can pass the payload limit as one event.
Every payload keeps the ``{"commits": [...], "repo", "branch"}`` shape, with one commit.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lore.capture.redact import is_excluded, redact_text
from lore.domain import EventIn, Project
from lore.errors import LoreError, ValidationError
from lore.git import GIT_TIMEOUT_S, run_git

if TYPE_CHECKING:
    from lore.core import Lore

STATE_KEY = "git.last_digested"
SOURCE = "git"
EVENT_TYPE = "git_digest"
MAX_FILES_PER_COMMIT = 300
COMMIT_START = "\x1e"
FIELD_END = "\x1f"
# sha, parents, author name, author email, author date (ISO), author time (UNIX), message
LOG_FORMAT = FIELD_END.join(["%H", "%P", "%an", "%ae", "%aI", "%at", "%B"]) + FIELD_END
_DIFF_HEADER = re.compile(r"^diff --git a/(?P<old>\S+) b/(?P<new>\S+)$")


@dataclass(frozen=True)
class DigestResult:
    """What one digest run did. ``commits`` are the shas read, oldest first; ``duplicates`` of
    them were stored before."""

    repo: str
    branch: str
    head: str | None
    commits: list[str] = field(default_factory=list)
    duplicates: int = 0
    event_ids: list[int] = field(default_factory=list)
    session_id: int | None = None
    since: str | None = None
    fell_back: bool = False
    message: str = ""

    @property
    def captured(self) -> int:
        return len(self.commits) - self.duplicates

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"captured": self.captured}


Progress = Callable[[int, int], None]


def digest(
    lore: Lore,
    project: Project,
    path: str | Path | None = None,
    *,
    since: str | None = None,
    max_commits: int | None = None,
    everything: bool = False,
    progress: Progress | None = None,
) -> DigestResult:
    """Capture the commits since the last digested one (up to ``capture.digest_first_run`` of
    the latest on the first run, or when that commit is no longer in the history of HEAD).
    ``since`` (a revision or a date), ``max_commits`` and ``everything`` choose the commits
    instead; what is stored already is skipped. ``progress(done, total)`` follows the storing."""
    root = repo_root(resolve_repo_path(project, path))
    head = _head(root)
    branch = _branch(root)
    if head is None:
        return DigestResult(str(root), branch, None, message="the repository has no commits yet")
    last = lore.store.projects.get_state(project.id, STATE_KEY)
    chosen = since is not None or max_commits is not None or everything
    if last == head and not chosen:
        return DigestResult(
            str(root), branch, head, since=last, message=f"no new commits since {last[:10]}"
        )
    settings = lore.settings.capture
    follows = not chosen and last is not None and _is_ancestor(root, last, head)
    if chosen:
        revisions = _chosen(root, head, since, max_commits, everything)
    elif follows:
        revisions = [f"{last}..{head}"]
    else:
        revisions = ["-n", str(settings.digest_first_run), head]
    commits = read_commits(root, revisions, settings.diff_max_chars, settings.exclude_paths)
    event_ids, session_id, duplicates = _capture(lore, project, root, branch, commits, progress)
    lore.store.projects.set_state(project.id, STATE_KEY, head)
    return DigestResult(
        str(root),
        branch,
        head,
        commits=[commit["sha"] for commit in commits],
        duplicates=duplicates,
        event_ids=event_ids,
        session_id=session_id,
        since=last,
        fell_back=not chosen and last is not None and not follows,
        message=_summary(len(commits), duplicates, last, follows, chosen),
    )


def _chosen(
    root: Path, head: str, since: str | None, max_commits: int | None, everything: bool
) -> list[str]:
    """``git log`` revisions for commits chosen by hand: all of them, those after a revision
    or a date, at most N (the latest)."""
    revisions: list[str] = []
    if max_commits is not None:
        if max_commits < 1:
            raise ValidationError("--max takes a number of commits, 1 or more", "max_commits")
        revisions += ["-n", str(max_commits)]
    if since is None or everything:
        return [*revisions, head]
    if _is_revision(root, since):
        return [*revisions, f"{since}..{head}"]
    return [*revisions, f"--since={since}", head]


def _is_revision(root: Path, name: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"],
        capture_output=True,
        timeout=GIT_TIMEOUT_S,
    )
    return done.returncode == 0


def commit_key(commit: dict[str, Any]) -> str:
    """The idempotency key of a commit: what it is, not where it sits. A rebase or a cherry-pick
    keeps the author, the author time, the subject and the files, and so the key; an amended
    message makes a new one."""
    files = sorted(str(entry.get("path")) for entry in commit.get("files") or [])
    identity = "\x1f".join(
        [str(commit.get("email")), str(int(commit.get("timestamp") or 0)),
         str(commit.get("subject")), *files]
    )  # fmt: skip
    return "git:" + hashlib.sha256(identity.encode()).hexdigest()[:32]


def _capture(
    lore: Lore,
    project: Project,
    root: Path,
    branch: str,
    commits: Sequence[dict[str, Any]],
    progress: Progress | None,
) -> tuple[list[int], int | None, int]:
    """Store one event per commit in batches; returns (event ids, session id, duplicates)."""
    remote = _remote(root)
    events = [
        EventIn(
            source=SOURCE,
            type=EVENT_TYPE,
            payload={"commits": [commit], "repo": str(root), "branch": branch}
            | ({"remote": remote} if remote else {}),
            idempotency_key=commit_key(commit),
            occurred_at=commit["timestamp"],
        )
        for commit in commits
    ]
    event_ids: list[int] = []
    session_id: int | None = None
    duplicates = 0
    batch = lore.settings.capture.max_batch
    for start in range(0, len(events), batch):
        result = lore.capture_events(events[start : start + batch], project=project)
        event_ids += result.event_ids
        session_id = result.session_ids[-1]
        duplicates += result.duplicates
        if progress is not None:
            progress(len(event_ids), len(events))
    return event_ids, session_id, duplicates


def _summary(count: int, duplicates: int, last: str | None, follows: bool, chosen: bool) -> str:
    if count == 0:
        return "no new commits"
    text = f"digested {count - duplicates} commit{'s' if count - duplicates != 1 else ''}"
    if duplicates:
        text += f" ({duplicates} already stored)"
    if chosen:
        return text
    if last is None:
        return text + " (first digest)"
    if not follows:
        return (
            text + f"; the last digested commit {last[:10]} is no longer in the history of HEAD"
            " (rewritten, or another branch), so the latest commits were read again"
        )
    return text + f" since {last[:10]}"


def read_commits(
    root: Path, revisions: Sequence[str], diff_max_chars: int, exclude: Sequence[str]
) -> list[dict[str, Any]]:
    """The commits ``git log`` selects with ``revisions``, oldest first, each with its files
    (against the first parent for merges) and its redacted, truncated diff (none for merges:
    the merged commits carry their own)."""
    commits = _log(root, revisions)
    diffs = dict(_diffs(root, revisions, diff_max_chars, exclude))
    for commit in commits:
        commit["diff"] = diffs.get(commit["sha"], "")
    return commits


def _log(root: Path, revisions: Sequence[str]) -> list[dict[str, Any]]:
    out = run_git(
        root,
        "log",
        "--reverse",
        "-z",
        "-M",
        "--numstat",
        "--diff-merges=first-parent",
        "--no-show-signature",
        f"--format={COMMIT_START}{LOG_FORMAT}",
        *revisions,
    )
    return [_commit(record) for record in out.split(COMMIT_START) if record.strip("\x00\n")]


def _commit(record: str) -> dict[str, Any]:
    sha, parents, name, email, date, timestamp, message, stat = record.split(FIELD_END, 7)
    subject, _, body = message.strip().partition("\n")
    parent_list = parents.split()
    files = _numstat(stat)
    commit: dict[str, Any] = {
        "sha": sha,
        "parents": parent_list,
        "merge": len(parent_list) > 1,
        "author": name,
        "email": email,
        "date": date,
        "timestamp": float(timestamp),
        "subject": subject.strip(),
        "body": body.strip(),
        "files": files[:MAX_FILES_PER_COMMIT],
        "insertions": sum(f["insertions"] or 0 for f in files),
        "deletions": sum(f["deletions"] or 0 for f in files),
    }
    if len(files) > MAX_FILES_PER_COMMIT:
        commit["files_total"] = len(files)
    return commit


def _numstat(stat: str) -> list[dict[str, Any]]:
    """Parse ``--numstat -z``: ``ins TAB del TAB path NUL``, or for a rename
    ``ins TAB del TAB NUL old NUL new NUL``; binary files count ``-``."""
    parts = stat.lstrip("\x00\n").split("\x00")
    files: list[dict[str, Any]] = []
    index = 0
    while index < len(parts):
        line = parts[index].lstrip("\n")
        index += 1
        if not line:
            continue
        added, deleted, path = line.split("\t", 2)
        entry: dict[str, Any] = {}
        if not path:  # a rename: the old and new paths follow
            entry["old_path"], path = parts[index], parts[index + 1]
            index += 2
        binary = added == "-"
        files.append(
            {"path": path}
            | entry
            | {
                "insertions": None if binary else int(added),
                "deletions": None if binary else int(deleted),
            }
            | ({"binary": True} if binary else {})
        )
    return files


def _diffs(
    root: Path, revisions: Sequence[str], max_chars: int, exclude: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """(sha, diff) per commit from one streamed ``git log -p``."""
    command = [
        "git",
        "-C",
        str(root),
        "-c",
        "core.quotepath=false",
        "log",
        "-p",
        "-M",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-show-signature",
        "--diff-merges=off",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        f"--format={COMMIT_START}%H",
        *revisions,
    ]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        assert process.stdout is not None
        diff: _DiffBuffer | None = None
        for line in process.stdout:
            if line.startswith(COMMIT_START):
                if diff is not None:
                    yield diff.sha, diff.text()
                diff = _DiffBuffer(line[1:].strip(), max_chars, exclude)
            elif diff is not None:
                diff.add(line)
        if diff is not None:
            yield diff.sha, diff.text()


class _DiffBuffer:
    """One commit's diff: excluded files dropped, kept lines collected up to a little past the
    limit (whole lines), the rest only counted."""

    def __init__(self, sha: str, max_chars: int, exclude: Sequence[str]) -> None:
        self.sha = sha
        self.max_chars = max_chars
        self.exclude = exclude
        self.lines: list[str] = []
        self.kept_chars = 0
        self.skipped_chars = 0
        self.in_excluded_file = False

    def add(self, line: str) -> None:
        if line.startswith("diff --git "):
            self.in_excluded_file = any(is_excluded(p, self.exclude) for p in _diff_paths(line))
        if self.in_excluded_file:
            return
        if self.kept_chars > self.max_chars:
            self.skipped_chars += len(line)
            return
        if not self.lines and not line.strip():  # the blank line after the format header
            return
        self.lines.append(line)
        self.kept_chars += len(line)

    def text(self) -> str:
        text = redact_text("".join(self.lines))
        hidden = self.skipped_chars + max(0, len(text) - self.max_chars)
        if not hidden:
            return text
        return text[: self.max_chars] + f"\n[diff truncated: {hidden} more characters]\n"


def _diff_paths(header: str) -> list[str]:
    """Both paths of a ``diff --git a/OLD b/NEW`` line; paths with spaces are handled when
    old and new are the same (the only case git leaves them ambiguous)."""
    rest = header.rstrip("\n")[len("diff --git ") :]
    half = (len(rest) - 1) // 2
    if (
        len(rest) > 4
        and rest[half] == " "
        and rest[:half].startswith("a/")
        and rest[half + 1 :] == "b/" + rest[2:half]
    ):
        return [rest[2:half]]
    match = _DIFF_HEADER.match(header.rstrip("\n"))
    return [match["old"], match["new"]] if match else [rest]


def resolve_repo_path(project: Project, path: str | Path | None) -> Path:
    """The folder to read: the given path, else the project's linked local repository, else
    the current directory."""
    if path is not None:
        return Path(path).expanduser()
    return linked_repo(project) or Path.cwd()


def linked_repo(project: Project) -> Path | None:
    """The project's linked repository when it is a local folder (not a URL)."""
    if not project.repo or "://" in project.repo:
        return None
    folder = Path(project.repo).expanduser()
    return folder if folder.is_dir() else None


def repo_root(path: Path) -> Path:
    """The top folder of the git repository holding ``path``."""
    if not path.is_dir():
        raise ValidationError(f"{path} is not a folder", "path")
    try:
        return Path(run_git(path, "rev-parse", "--show-toplevel").strip())
    except LoreError:
        raise ValidationError(f"{path} is not inside a git repository", "path") from None


def repo_or_folder(path: Path) -> Path:
    """The top folder of the git repository holding ``path``, or ``path`` itself outside git."""
    try:
        return repo_root(path)
    except ValidationError:
        return path.resolve()


def rebase_in_progress(path: Path) -> bool:
    """True while git rebases: post-commit then fires once per replayed commit."""
    root = repo_root(path)
    for state in ("rebase-merge", "rebase-apply"):
        folder = Path(run_git(root, "rev-parse", "--git-path", state).strip())
        if (folder if folder.is_absolute() else root / folder).exists():
            return True
    return False


def _head(root: Path) -> str | None:
    out = run_git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).strip()
    return out or None


def _branch(root: Path) -> str:
    """The current branch, or ``HEAD`` when detached."""
    return run_git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False).strip() or "HEAD"


def _remote(root: Path) -> str:
    return run_git(root, "config", "--get", "remote.origin.url", check=False).strip()


def _is_ancestor(root: Path, older: str, newer: str) -> bool:
    """False as well when ``older`` is no longer a known commit (history rewritten, gc'd)."""
    done = subprocess.run(
        ["git", "-C", str(root), "merge-base", "--is-ancestor", older, newer],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=GIT_TIMEOUT_S,
    )
    return done.returncode == 0
