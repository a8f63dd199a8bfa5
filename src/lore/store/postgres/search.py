"""Recall's full text on PostgreSQL: words through the ``search`` tsvector of each node (GIN),
identifiers inside longer words through trigrams (pg_trgm, GIN), both in one query with the
project and the filter, which PostgreSQL's planner combines. The rest of recall's SQL is
shared (``lore.store.sql.search``).

The shared recall code hands over FTS5 match expressions (quoted alternatives joined by OR,
``lore.recall.text.match_expression``); each alternative becomes a phrase query here.
Scores are ``ts_rank`` (no corpus statistics, unlike SQLite's BM25) and ``word_similarity``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lore.store.base import RecallFilter
from lore.store.sql import like_escaped
from lore.store.sql.search import SQLSearch, recall_clause

_ALTERNATIVE = re.compile(r'"((?:[^"]|"")*)"')
# As the ``search`` column reads its text (0006_search.sql).
_PHRASE = "phraseto_tsquery('english', regexp_replace(?, '[^[:alnum:]]+', ' ', 'g'))"
_SUBSTRING_TEXT = "lower(n.title || ' ' || n.body || ' ' || n.files)"


def alternatives(match: str) -> list[str]:
    """The quoted alternatives of an FTS5 match expression, unquoted."""
    return [found.replace('""', '"') for found in _ALTERNATIVE.findall(match)]


class PostgresSearch(SQLSearch):
    def lexical(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        phrases = alternatives(match)
        if not phrases:
            return {}
        clause, params = recall_clause(project_id, where, self.db.dialect)
        query = " || ".join([_PHRASE] * len(phrases))
        rows = self.db.tuples(
            f"SELECT n.id, ts_rank(n.search, m.q, 1) AS score FROM nodes n, (SELECT {query} AS q) m"
            f" WHERE n.search @@ m.q AND {clause} ORDER BY score DESC, n.id LIMIT ?",
            [*phrases, *params, limit],
        )
        return {int(node_id): float(score) for node_id, score in rows if score > 0}

    def substring(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        found = [text.lower() for text in alternatives(match) if len(text) >= 3]
        if not found:
            return {}
        clause, params = recall_clause(project_id, where, self.db.dialect)
        likes = " OR ".join([f"{_SUBSTRING_TEXT} LIKE ? ESCAPE '\\'"] * len(found))
        similar = ", ".join([f"word_similarity(?, {_SUBSTRING_TEXT})"] * len(found))
        score = f"greatest({similar})" if len(found) > 1 else similar
        rows = self.db.tuples(
            f"SELECT n.id, {score} AS score FROM nodes n"
            f" WHERE n.kind NOT IN ('tag', 'intent') AND ({likes}) AND {clause}"
            " ORDER BY score DESC, n.id LIMIT ?",
            [*found, *(f"%{like_escaped(text)}%" for text in found), *params, limit],
        )
        return {int(node_id): float(score) for node_id, score in rows}

    def match_counts(self, expressions: Sequence[str], cap: int) -> list[int]:
        counts = []
        for expression in expressions:
            phrases = alternatives(expression)
            query = " || ".join([_PHRASE] * len(phrases)) or "NULL::tsquery"
            rows = self.db.tuples(
                f"SELECT count(*) FROM (SELECT 1 FROM nodes WHERE search @@ ({query}) LIMIT ?) s",
                [*phrases, cap + 1],
            )
            counts.append(int(rows[0][0]))
        return counts
