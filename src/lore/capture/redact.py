"""Secret redaction, applied to every string before anything is stored.

Redacted: private keys (also the tail of one whose first lines were cut off, as in the last
lines of a command's output), provider tokens, passwords in URLs, values of ``.env``-style secret
assignments and of secret command-line options (``--password x``, ``aws configure set
aws_secret_access_key x``), and whatever sits between ``<private>`` and ``</private>``. In
JSON-like values, keys are redacted as text too. Diffs of excluded paths (``*.env``, keys, lock
files, binaries, ``node_modules/``, ...) are dropped whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatch
from itertools import pairwise
from typing import Any

REDACTED = "[REDACTED]"

_PRIVATE = re.compile(r"<private>.*?(?:</private>|\Z)", re.DOTALL | re.IGNORECASE)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
# Each token must start a word: scanning a long run of text then stays linear.
_TOKENS = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:"
    + "|".join(
        [
            r"sk-ant-[A-Za-z0-9_\-]{20,}",  # Anthropic
            r"sk-(?:proj-|live-|test-)?[A-Za-z0-9_\-]{20,}",  # OpenAI, Stripe secret keys
            r"gh[pousr]_[A-Za-z0-9]{30,}",  # GitHub tokens
            r"github_pat_[A-Za-z0-9_]{40,}",
            r"glpat-[A-Za-z0-9_\-]{20,}",  # GitLab
            r"xox[abprs]-[A-Za-z0-9\-]{10,}",  # Slack
            r"(?:AKIA|ASIA)[0-9A-Z]{16}",  # AWS access key ids
            r"AIza[0-9A-Za-z_\-]{35}",  # Google API keys
            r"(?:rk|pk|sk)_(?:live|test)_[0-9a-zA-Z]{20,}",  # Stripe
            r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",  # SendGrid
            r"hf_[A-Za-z0-9]{30,}",  # Hugging Face
            r"npm_[A-Za-z0-9]{36}",
            r"eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",  # JWTs
        ]
    )
    + ")"
)
_URL_PASSWORD = re.compile(
    r"(?P<scheme>(?<![a-zA-Z0-9+.\-])[a-zA-Z][a-zA-Z0-9+.\-]{0,30}://)(?P<user>[^:/@\s]+):[^@/\s]+@"
)
_BEARER = re.compile(
    r"(?i)\b(authorization\s*[:=]\s*(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=\-]{8,}"
)
# A whole identifier holding a secret word (GITHUB_TOKEN, apiKey; not tokenizers or max_tokens),
# bounded and anchored at its start so long runs of text stay linear.
_SECRET_NAME = r"(?<![A-Za-z0-9_.\-])[A-Za-z0-9_.\-]{0,40}?(?:SECRET|PASSWORD|PASSWD|PWD|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)(?:[_.\-][A-Za-z0-9_.\-]{0,40})?(?![A-Za-z0-9])"
_ASSIGNMENT = re.compile(
    rf"(?im)^(?P<lead>[+\- ]?\s*(?:export\s+)?[\"']?{_SECRET_NAME}[\"']?\s*[:=]\s*)(?P<value>[^\s#].*?)\s*$"
)
_INLINE_ASSIGNMENT = re.compile(
    rf"(?i)(?P<lead>\b{_SECRET_NAME}[\"']?\s*[:=]\s*)(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}}]+)"
)
# A secret given to a command as an option or a named argument: ``--password x``, ``-token x``,
# ``aws_secret_access_key x``. The name is an option or holds an underscore (so prose such as "the
# token expires" is left alone) and the value holds a digit, as generated secrets do.
_OPTION = re.compile(
    r"(?i)(?P<lead>(?<![\w\-])(?:--?[\w\-]*|\w*_)"
    r"(?:secret|password|passwd|token|api[_\-]?key|access[_\-]?key)[\w\-]*\s+)"
    r"(?P<value>(?=[^\s\-][^\s]*\d)[A-Za-z0-9+/=_\-.:@!$%^&*~]{6,})"
)
_KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_KEY_LINE = re.compile(r"[A-Za-z0-9+/=]+")
_DIFF_FILE = re.compile(r"(?m)^diff --git a/(?P<path>\S+) b/\S+$")


def redact_text(text: str) -> str:
    """Remove secrets from one string."""
    if not text:
        return text
    text = _PRIVATE.sub("", text)
    text = _PRIVATE_KEY.sub(REDACTED, text)
    text = _redact_key_tails(text)
    text = _TOKENS.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _ASSIGNMENT.sub(_redact_assignment, text)
    text = _OPTION.sub(_redact_assignment, text)
    return _INLINE_ASSIGNMENT.sub(_redact_assignment, text)


def _redact_key_tails(text: str) -> str:
    """The end of a private key whose beginning was cut off (the last lines of ``cat key``):
    the key's lines before each END marker, walked back line by line (linear time)."""
    while (end := _KEY_END.search(text)) is not None:
        start = end.start()
        while start > 0:
            line_start = text.rfind("\n", 0, start - 1) + 1
            if not _KEY_LINE.fullmatch(text[line_start:start].strip()):
                break
            start = line_start
        text = text[:start] + REDACTED + text[end.end() :]
    return text


# References to where a secret lives are not secrets themselves.
_NOT_A_VALUE = ("${", "$(", "os.environ", "os.getenv", "process.env", "[REDACTED]")


def _redact_assignment(match: re.Match[str]) -> str:
    value = match["value"]
    if value.strip("\"'") in ("", REDACTED) or value.startswith(_NOT_A_VALUE):
        return match.group(0)
    return match["lead"] + REDACTED


def redact(value: Any) -> Any:
    """Redact every string inside a JSON-like value, its keys included; the value of a key
    that names a secret (``password``, ``apiKey``) is redacted whatever it looks like."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            redact_text(key) if isinstance(key, str) else key: (
                REDACTED if _is_secret_field(key, item) else redact(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


_SECRET_WORDS = {"secret", "password", "passwd", "pwd", "token", "credential", "credentials"}
_SECRET_PAIRS = {("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key")}
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _is_secret_field(key: str, value: Any) -> bool:
    """A string under a key like ``password``, ``api_key`` or ``apiToken`` is a secret, whatever
    it looks like; ``tokenizers`` or ``max_tokens`` are not such keys."""
    if not isinstance(value, str) or not value:
        return False
    words = [word.lower() for word in _WORD.findall(key)]
    if _SECRET_WORDS.intersection(words) or "apikey" in words:
        return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(words))


def is_excluded(path: str, patterns: Iterable[str]) -> bool:
    """True when ``path`` matches an exclusion pattern, by full path or by file name."""
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if pattern.endswith("/*"):
            folder = pattern[:-2]
            if path.startswith(folder + "/") or f"/{folder}/" in path:
                return True
        elif fnmatch(path, pattern) or fnmatch(name, pattern):
            return True
    return False


def drop_excluded_diffs(diff: str, patterns: Iterable[str]) -> str:
    """Remove the per-file sections of a unified git diff whose path is excluded."""
    patterns = list(patterns)
    starts = [m.start() for m in _DIFF_FILE.finditer(diff)]
    if not starts:
        return diff
    kept = [diff[: starts[0]]]
    for begin, end in zip(starts, [*starts[1:], len(diff)], strict=True):
        section = diff[begin:end]
        match = _DIFF_FILE.match(section)
        if match and is_excluded(match["path"], patterns):
            continue
        kept.append(section)
    return "".join(kept)
