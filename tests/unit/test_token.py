"""The home's token fails closed: missing, empty or unreadable never means 'no token needed'."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lore.server.auth import token_matches
from lore.token import AuthError, ensure_token, read_token


def test_a_new_token_is_private_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "home" / "token"
    token = ensure_token(path)
    assert len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_token(path) == ensure_token(path) == token
    assert [p.name for p in path.parent.iterdir()] == ["token"]  # no temporary file left


def test_an_empty_token_file_is_refused_and_replaced_by_init(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("\n")
    with pytest.raises(AuthError, match="empty"):
        read_token(path)
    token = ensure_token(path)
    assert token and read_token(path) == token


def test_an_unreadable_token_is_an_error_not_a_new_token(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.mkdir()  # what no read can open, whoever runs the test
    (path / "x").write_text("x")
    with pytest.raises(AuthError, match="cannot read"):
        ensure_token(path)


def test_a_missing_token_names_the_command_that_makes_one(tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="lore init"):
        read_token(tmp_path / "token")


@pytest.mark.parametrize(
    ("given", "expected"), [("", ""), (None, ""), ("", "secret"), ("secre", "secret")]
)
def test_empty_or_wrong_tokens_never_match(given: str | None, expected: str) -> None:
    assert not token_matches(given, expected)
    assert token_matches("secret", "secret")
