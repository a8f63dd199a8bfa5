"""Items from what an agent did and what its user said, read across the session in order.

- A command that fails, followed (within a few steps) by a different, related command that
  works, is a procedure: "run the tests with `uv run pytest`, not `pytest`".
- The same command failing, files being edited, then the command passing is a bug that was
  fixed: the error and the files that fixed it.
- A user correcting the agent ("don't ...", "we use ...", "... instead of ...") states a
  convention.
- The agent's last message reporting a result ("... now retry up to 5 times", "fixed ...",
  "the root cause was ...") is what the session implemented (or the bug it fixed), over the
  files the session edited.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lore.domain import Event
from lore.domain.graph import ItemType
from lore.extraction.offline.build import Options, quote, statement_item
from lore.extraction.offline.text import clip, sentences, title_of
from lore.extraction.prompts_enrich import ExtractedItem
from lore.extraction.schema_keys import schema_key, slug

LOOKAHEAD_COMMANDS = 8
USER_TEXT_TYPES = ("user_request", "prompt", "user_prompt", "user_message")
AGENT_TEXT_TYPES = ("agent_message", "assistant_message")
# An agent message that reports a result, and one that only announces what comes next.
_RESULT = re.compile(
    r"\b(now|done|fixed|added|switched|replaced|moved|renamed|implemented|removed|updated|"
    r"the root cause|was caused by|tests? pass(es)?|passes now)\b",
    re.I,
)
_CAUSE = re.compile(r"\broot cause\b|\bwas caused by\b", re.I)
_PLAN = re.compile(
    r"^\s*(i'll|i will|let me|let's|next,? i|first,? i|i'm going to|i am going to)\b", re.I
)
_FAILURE = re.compile(
    r"(exit (code|status) [1-9]|command not found|Traceback \(most recent call last\)|"
    r"\bERR!|\b\d+ failed\b|\bFAILED\b|^error\b|\berror:|No such file or directory|"
    r"ModuleNotFoundError|ImportError|SyntaxError|is not recognized|Permission denied)",
    re.I | re.M,
)
_ERROR_LINE = re.compile(r"(error|failed|not found|denied|exception|traceback|refused)", re.I)
_WRAPPERS = {"sudo", "env", "npx", "pnpx", "bunx", "exec", "time", "nohup"}
_RUNNERS = {("uv", "run"), ("poetry", "run"), ("pdm", "run"), ("pipenv", "run"), ("python", "-m")}
_GOALS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("pytest", "jest", "vitest", "mocha", "test", "tests", "unittest"), "Run the tests"),
    (("ruff", "eslint", "flake8", "pylint", "lint"), "Lint the code"),
    (("mypy", "tsc", "pyright", "typecheck"), "Type-check the code"),
    (("install", "sync", "add"), "Install dependencies"),
    (("build", "compile", "webpack", "vite"), "Build the project"),
    (("migrate", "alembic", "migration"), "Run the migrations"),
)
# Corrections: how a sentence must start, or what it must contain, to state a convention.
_LEAD = r"^(?:(?:no|nope|actually|please|also|and|but|hey|ok|okay|wait)[,!.:]?\s+)*"
_IMPERATIVE = re.compile(
    _LEAD + r"(don'?t|do not|never|always|stop|avoid|make sure|remember to)\b", re.I
)
_CONTRASTED = re.compile(
    _LEAD + r"(use|prefer|keep|put)\b.*\b(instead of|rather than|over|not|only)\b", re.I
)
_WE = re.compile(
    r"\bwe (use|prefer|always|never|don'?t|do not|should|must|only)\b|\binstead of\b|\brather than\b",
    re.I,
)
_NOT_A_RULE = re.compile(
    r"\b(don'?t|do not) (know|think|understand|see|worry|care|mind|bother|get)\b", re.I
)
_PATH = re.compile(r"(?<![\w/])(?:[\w.-]+/)*[\w.-]+\.[a-zA-Z]{1,5}\b")


@dataclass(slots=True)
class _Command:
    event: Event
    command: str
    failed: bool
    output: str
    edits_before: list[str] = field(default_factory=list)


def from_steps(events: Sequence[Event], options: Options) -> list[ExtractedItem]:
    commands = _commands(events)
    items = list(_procedures_and_fixes(commands, options))
    for event in events:
        if event.type in USER_TEXT_TYPES:
            items += corrections(event, str(event.payload.get("text") or ""), options)
    items += _outcome(events, options)
    return items


def _outcome(events: Sequence[Event], options: Options) -> list[ExtractedItem]:
    """What the agent reported as done, in its last message that reports a result (not a
    plan): an implementation item over the files edited in the session; a stated root cause
    makes it a bug."""
    reports = [
        e
        for e in events
        if e.type in AGENT_TEXT_TYPES
        and _RESULT.search(str(e.payload.get("text") or ""))
        and not _PLAN.match(str(e.payload.get("text") or ""))
    ]
    if not reports:
        return []
    report = reports[-1]
    text = str(report.payload["text"])
    edited = list(
        dict.fromkeys(
            path
            for e in events
            if e.type == "step"
            for path in e.payload.get("files") or []
            if isinstance(path, str)
        )
    )
    type_: ItemType = "bug" if _CAUSE.search(text) else "implementation"
    facts = sentences(text)[:6]
    return [
        ExtractedItem(
            type=type_,
            title=title_of(text),
            facts=facts,
            files=edited[:10],
            schema_key=schema_key(edited, text, fallback=type_, package=options.package),
            confidence=0.6,
            importance=0.5,
            tags=["agent-report", type_],
            dedup_hint=f"{type_}:{slug(title_of(text))[:60]}",
            evidence=[quote(report, text)],
        )
    ]


def corrections(event: Event, text: str, options: Options) -> list[ExtractedItem]:
    """Conventions a user stated while correcting the agent, one per sentence."""
    found = []
    for sentence in sentences(text):
        if not 12 <= len(sentence) <= 300 or sentence.endswith("?") or _NOT_A_RULE.search(sentence):
            continue
        if _IMPERATIVE.search(sentence) or _CONTRASTED.search(sentence) or _WE.search(sentence):
            files = _PATH.findall(sentence)
            found.append(
                statement_item(
                    event,
                    "convention",
                    sentence,
                    files=files,
                    confidence=0.8,
                    importance=0.75,
                    options=options,
                    tags=["user-correction"],
                    topic="conventions",
                )
            )
    return found


def _commands(events: Sequence[Event]) -> list[_Command]:
    """The commands run, in order, each with the files edited since the previous command."""
    found: list[_Command] = []
    edits: list[str] = []
    for event in events:
        if event.type != "step":
            continue
        payload = event.payload
        command = str(payload.get("command") or "").strip()
        if not command:
            edits += [str(path) for path in payload.get("files") or [] if isinstance(path, str)]
            continue
        output = str(payload.get("result") or payload.get("output") or "")
        failed = bool(payload.get("error")) or _nonzero(payload.get("exit_code"))
        failed = failed or bool(_FAILURE.search(output))
        found.append(_Command(event, command, failed, output, edits))
        edits = []
    return found


def _nonzero(code: object) -> bool:
    return isinstance(code, int) and code != 0


def _procedures_and_fixes(commands: list[_Command], options: Options) -> Iterator[ExtractedItem]:
    used: set[int] = set()
    for index, failing in enumerate(commands):
        if not failing.failed or index in used:
            continue
        for later in range(index + 1, len(commands)):
            candidate = commands[later]
            if later - index > LOOKAHEAD_COMMANDS:
                break
            if candidate.failed or not _related(failing.command, candidate.command):
                continue
            used.add(later)
            if candidate.command == failing.command:
                edited = _edits_between(commands, index, later)
                if edited:
                    yield _fix(failing, candidate, edited, options)
            else:
                yield _procedure(failing, candidate, options)
            break


def _edits_between(commands: list[_Command], start: int, end: int) -> list[str]:
    edited: list[str] = []
    for command in commands[start + 1 : end + 1]:
        edited += [path for path in command.edits_before if path not in edited]
    return edited


def program(command: str) -> str:
    """The program a shell command runs: ``.venv/bin/pytest -q`` and ``uv run pytest`` both
    run ``pytest``; leading ``cd x &&`` and ``VAR=value`` are skipped."""
    last = command.split("&&")[-1].split(";")[-1].strip()
    try:
        words = shlex.split(last)
    except ValueError:
        words = last.split()
    words = [w for w in words if "=" not in w.split("/")[0] or w.startswith("-")]
    while words and words[0] in _WRAPPERS:
        words = words[1:]
    while len(words) > 1 and (words[0].rsplit("/", 1)[-1], words[1]) in _RUNNERS:
        words = words[2:]
    return words[0].rsplit("/", 1)[-1] if words else ""


def _related(failed: str, worked: str) -> bool:
    if program(failed) and program(failed) == program(worked):
        return True
    a, b = set(failed.split()), set(worked.split())
    return bool(a and b) and len(a & b) / len(a | b) >= 0.5


def _goal(command: str) -> str:
    words = set(re.split(r"[\s/:._-]+", command.lower()))
    for keys, goal in _GOALS:
        if words & set(keys):
            return goal
    return f"Run {program(command) or 'the command'}"


def _error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    flagged = [line for line in lines if _ERROR_LINE.search(line)]
    return (flagged[-1] if flagged else lines[-1] if lines else "")[:200]


def _procedure(failing: _Command, working: _Command, options: Options) -> ExtractedItem:
    goal = _goal(working.command)
    error = _error_line(failing.output)
    facts = [f"`{clip(failing.command, 120)}` fails" + (f": {error}" if error else ".")]
    facts.append(f"`{clip(working.command, 160)}` works instead.")
    lines = [line for line in working.output.splitlines() if line.strip()]
    return ExtractedItem(
        type="convention",
        kind="procedure",
        title=clip(f"{goal}: `{working.command}`"),
        facts=facts,
        instruction=working.command,
        condition=f"when `{clip(failing.command, 80)}` fails" + (f" with {error}" if error else ""),
        expected_outcome=clip(lines[-1], 160) if lines else "the command succeeds",
        schema_key=schema_key(
            [], f"{goal} {working.command}", fallback="commands", package=options.package
        ),
        confidence=0.6,
        importance=0.6,
        tags=["procedure", "commands", slug(program(working.command)) or "shell"],
        dedup_hint=f"procedure:{slug(working.command)[:60]}",
        evidence=[quote(failing.event, failing.command), quote(working.event, working.command)],
    )


def _fix(
    failing: _Command, passing: _Command, edited: list[str], options: Options
) -> ExtractedItem:
    error = _error_line(failing.output)
    shown = ", ".join(edited[:5])
    facts = [
        f"`{clip(failing.command, 120)}` failed" + (f" with: {error}" if error else "."),
        f"Editing {shown} fixed it: the same command then passed.",
    ]
    evidence = [
        quote(failing.event, error or failing.command),
        quote(passing.event, passing.command),
    ]
    return ExtractedItem(
        type="bug",
        title=clip(f"Fixed: {error}" if error else f"Fixed `{failing.command}` failing"),
        facts=facts,
        files=edited[:10],
        schema_key=schema_key(edited, error, fallback="bugs", package=options.package),
        confidence=0.55,
        importance=0.5,
        tags=["bug", "fixed"],
        dedup_hint=f"bug:{slug(error or failing.command)[:60]}",
        evidence=evidence,
    )
