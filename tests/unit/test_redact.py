import pytest

from lore.capture.redact import REDACTED, drop_excluded_diffs, is_excluded, redact, redact_text

SECRETS = [
    "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "AKIAIOSFODNN7EXAMPLE",
    "xoxb-1234567890-abcdefghij",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_provider_tokens_are_redacted(secret: str) -> None:
    text = f"calling the API with {secret} now"
    assert secret not in redact_text(text)
    assert REDACTED in redact_text(text)


def test_private_key_block_is_redacted_whole() -> None:
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234\nabcd\n-----END RSA PRIVATE KEY-----"
    )
    out = redact_text(f"key:\n{key}\nafter")
    assert "MIIEpAIBAAKCAQEA1234" not in out
    assert out.endswith("after")


def test_password_in_url_keeps_user_and_host() -> None:
    assert (
        redact_text("postgres://bob:s3cret@db:5432/app") == f"postgres://bob:{REDACTED}@db:5432/app"
    )


def test_env_style_lines_lose_their_values() -> None:
    env = (
        "DEBUG=true\nDATABASE_PASSWORD=hunter2\nexport STRIPE_SECRET='abc def'\nAPI_KEY=${API_KEY}"
    )
    out = redact_text(env)
    assert "hunter2" not in out and "abc def" not in out
    assert "DEBUG=true" in out
    assert "API_KEY=${API_KEY}" in out  # a reference to a secret is not a secret


def test_inline_assignment_and_secret_fields() -> None:
    assert "hunter2" not in redact_text("login with password=hunter2 then")
    cleaned = redact({"password": "pw", "author": "bob", "nested": [{"api_key": "k"}], "count": 3})
    assert cleaned == {
        "password": REDACTED,
        "author": "bob",
        "nested": [{"api_key": REDACTED}],
        "count": 3,
    }


def test_private_sections_are_dropped() -> None:
    assert redact_text("a <private>my salary</private> b") == "a  b"
    assert "never" not in redact_text("a <PRIVATE>never closed")


def test_excluded_paths() -> None:
    patterns = ["*.env", ".env", "*.pem", "*.lock", "node_modules/*", "dist/*"]
    assert is_excluded(".env", patterns)
    assert is_excluded("config/prod.env", patterns)
    assert is_excluded("certs/server.pem", patterns)
    assert is_excluded("web/node_modules/react/index.js", patterns)
    assert is_excluded("dist/app.js", patterns)
    assert not is_excluded("src/env.py", patterns)


def test_diffs_of_excluded_paths_are_dropped() -> None:
    diff = (
        "diff --git a/src/app.py b/src/app.py\n+print('hi')\n"
        "diff --git a/.env b/.env\n+SECRET=abc\n"
        "diff --git a/README.md b/README.md\n+docs\n"
    )
    out = drop_excluded_diffs(diff, [".env"])
    assert "SECRET=abc" not in out
    assert "print('hi')" in out and "+docs" in out


def test_package_names_that_contain_secret_words_are_kept() -> None:
    cleaned = redact(
        {"tokenizers": "0.19", "tiktoken": "0.7", "max_tokens": "512", "keyboard": "us"}
    )
    assert cleaned == {
        "tokenizers": "0.19",
        "tiktoken": "0.7",
        "max_tokens": "512",
        "keyboard": "us",
    }
    assert redact_text("tokenizers==0.19") == "tokenizers==0.19"
    assert redact({"apiToken": "abc", "OPENAI_API_KEY": "z"}) == {
        "apiToken": REDACTED,
        "OPENAI_API_KEY": REDACTED,
    }


def test_the_tail_of_a_private_key_is_redacted_without_its_first_line() -> None:
    body = "\n".join(["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"] * 5)
    tail = f"{body}\n-----END OPENSSH PRIVATE KEY-----\n$ ls"
    out = redact_text("output:\n" + tail[20:])
    assert "b3Bl" not in out and "AAAA" not in out
    assert out.startswith("output:\n") and out.endswith("$ ls")


@pytest.mark.parametrize(
    ("command", "secret"),
    [
        ("aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCY1", "wJalr"),
        ("mysql -u root --password s3cr3tPass app", "s3cr3t"),
        ("vault login -token hvs.CAESI1234abcd", "hvs."),
    ],
)
def test_secret_options_of_commands_are_redacted(command: str, secret: str) -> None:
    out = redact_text(command)
    assert secret not in out and REDACTED in out


def test_prose_about_tokens_is_kept() -> None:
    text = "the token expires in an hour; raise max_tokens and the api_key setting"
    assert redact_text(text) == text


def test_keys_of_json_values_are_redacted_too() -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    assert redact({secret: 1, "ok": 2}) == {REDACTED: 1, "ok": 2}
