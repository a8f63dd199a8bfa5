import sqlite3
import time
from collections.abc import Iterator

import pytest

from lore.recall.text import (
    FTS_TOKENIZER,
    TRIGRAM_TOKENIZER,
    date_label,
    event_text,
    facts_first,
    fts_match_query,
    identifiers,
    query_terms,
    shared_words,
    trigram_match_query,
    window_span,
    window_text,
)

DOCS = [
    "Fixed the crash in src/lore/config.py when LORE_HOME is unset",
    "The lore config command prints the settings",
    "build_embedder reads the model path from settings",
    "The embedder is built once per process",
    "pytest failed with ERR_CONNECTION_REFUSED on port 8080",
    "Caroline went to an LGBTQ support group yesterday",
]


def _table(tokenizer: str) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE docs USING fts5(text, tokenize='{tokenizer}')")
    conn.executemany("INSERT INTO docs(rowid, text) VALUES (?, ?)", enumerate(DOCS))
    return conn


@pytest.fixture
def fts() -> Iterator[sqlite3.Connection]:
    conn = _table(FTS_TOKENIZER)
    yield conn
    conn.close()


def _search(conn: sqlite3.Connection, match: str | None) -> list[int]:
    assert match is not None
    rows = conn.execute(
        "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs)", (match,)
    ).fetchall()
    return [row[0] for row in rows]


def test_query_terms_drop_stop_words_and_repeats() -> None:
    assert query_terms("When did Caroline go to the LGBTQ support group, the group?") == [
        "caroline",
        "go",
        "lgbtq",
        "support",
        "group",
    ]


def test_query_terms_keep_digits_and_split_identifiers() -> None:
    assert query_terms("error 5 in src/lore/config.py") == [
        "error",
        "5",
        "src",
        "lore",
        "config",
        "py",
    ]


@pytest.mark.parametrize(
    "token",
    [
        "src/lore/config.py",
        "lore.recall.fusion",
        "build_embedder",
        "useState",
        "ERR_CONNECTION_REFUSED",
        "E501",
        "0x80070005",
        "C:\\Users\\me",
        "std::vector",
    ],
)
def test_identifiers_are_found(token: str) -> None:
    assert identifiers(f"look at {token} please") == [token]


def test_plain_words_are_not_identifiers() -> None:
    assert identifiers("Why does the server crash at night? It's odd.") == []


def test_a_path_matches_only_where_it_is_written(fts: sqlite3.Connection) -> None:
    hits = _search(fts, fts_match_query("what changed in src/lore/config.py"))
    assert hits[0] == 0
    # "config" alone also matches the CLI doc, ranked below the exact path.
    assert 1 in hits


def test_snake_case_name_ranks_its_own_doc_first(fts: sqlite3.Connection) -> None:
    assert _search(fts, fts_match_query("where is build_embedder"))[0] == 2


def test_error_code_matches_exactly(fts: sqlite3.Connection) -> None:
    assert _search(fts, fts_match_query("seen ERR_CONNECTION_REFUSED again"))[0] == 4


def test_porter_stemming_matches_word_forms(fts: sqlite3.Connection) -> None:
    assert _search(fts, fts_match_query("support groups Caroline attended"))[0] == 5


def test_fts_syntax_in_user_text_is_matched_as_words(fts: sqlite3.Connection) -> None:
    match = fts_match_query('config AND NOT "crash" NEAR(lore, 2) * col:umn')
    assert match is not None
    _search(fts, match)  # parses: nothing in the user text is taken as FTS5 syntax


def test_a_query_of_only_stop_words_has_no_match_expression() -> None:
    assert fts_match_query("what is it and why?") is None


def test_trigram_query_finds_identifier_substrings() -> None:
    conn = _table(TRIGRAM_TOKENIZER)
    try:
        assert _search(conn, trigram_match_query("config.py")) == [0]
        assert _search(conn, trigram_match_query("CONNECTION_REFUSED")) == [4]
    finally:
        conn.close()
    assert trigram_match_query("plain words only") is None


def test_window_span_stays_inside_the_session() -> None:
    assert window_span(5, 0) == range(0, 2)
    assert window_span(5, 2) == range(1, 4)
    assert window_span(5, 4) == range(3, 5)
    assert window_span(1, 0) == range(0, 1)
    with pytest.raises(IndexError):
        window_span(3, 3)


def test_window_and_event_text_carry_speaker_and_date() -> None:
    lines = [("Mel", "How was it?"), ("Caroline", "Great!"), ("", "tool output")]
    assert window_text("8 May 2023", lines) == (
        "(8 May 2023) Mel: How was it? Caroline: Great! tool output"
    )
    assert window_text("", lines[:1]) == "Mel: How was it?"
    assert event_text("8 May 2023", "Caroline", "Great!") == "Caroline (8 May 2023): Great!"
    assert event_text("", "", "plain") == "plain"


def test_date_label_names_the_local_day() -> None:
    stamp = time.mktime((2023, 5, 8, 13, 56, 0, 0, 0, -1))
    assert date_label(stamp) == "8 May 2023"


def test_shared_words_weigh_a_rare_query_word_above_a_common_one() -> None:
    texts = {
        1: "We went to the lake on Sunday.",
        2: "The lake was cold.",
        3: "Lake again, and a picnic.",
        4: "Nothing to see here.",
    }
    shared = shared_words("When did they have a picnic at the lake?", texts)
    assert set(shared) == {1, 2, 3}  # the text without a query word has no weight
    assert shared[3] > shared[1] == shared[2]  # "picnic" is held once, "lake" three times
    assert shared_words("the and of", texts) == {}  # stop words are no evidence


def test_an_items_lines_holding_the_query_words_come_right_after_its_first() -> None:
    body = "\n".join(
        [
            "src/auth.py: who may call.",
            "`def bearer_token(request)` at line 37.",
            "`def token_matches(given, expected)` at line 43: constant-time comparison.",
            "`def authenticated(request)` at line 50.",
        ]
    )
    lines = facts_first(body, "Where is the constant-time comparison?").split("\n")
    assert lines[0] == "src/auth.py: who may call."  # the item's statement stays first
    assert lines[1].startswith("`def token_matches")
    assert lines[2:] == [
        "`def bearer_token(request)` at line 37.",
        "`def authenticated(request)` at line 50.",
    ]
    assert facts_first(body, "unrelated words") == body
    assert facts_first("one line about comparison", "comparison") == "one line about comparison"
