"""The shared SQL's ``?`` placeholders as psycopg writes them."""

from __future__ import annotations

from lore.store.postgres.db import placeholders


def test_marks_become_psycopg_placeholders_and_literal_percents_are_doubled() -> None:
    assert placeholders("SELECT * FROM t WHERE a = ? AND b IN (?, ?)") == (
        "SELECT * FROM t WHERE a = %s AND b IN (%s, %s)"
    )
    assert placeholders("SELECT a % 2 FROM t WHERE b LIKE ?") == (
        "SELECT a %% 2 FROM t WHERE b LIKE %s"
    )
    # Inside quotes a mark is text; a percent is still doubled (psycopg reads %% there too).
    assert placeholders("SELECT '?', 'it''s 5%' WHERE x = ?") == (
        "SELECT '?', 'it''s 5%%' WHERE x = %s"
    )


def test_empty_in_lists_keep_their_sqlite_meaning() -> None:
    assert placeholders("SELECT * FROM t WHERE id IN () AND s NOT IN ( )") == (
        "SELECT * FROM t WHERE id = ANY('{}') AND s <> ALL('{}')"
    )
    assert placeholders("SELECT 'IN ()' WHERE x IN (?)") == "SELECT 'IN ()' WHERE x IN (%s)"
