"""Recall's full text on PostgreSQL: words through the ``search`` tsvector of each node (GIN),
identifiers inside longer words through trigrams (pg_trgm, GIN), both in one query with the
project and the filter, which PostgreSQL's planner combines. The rest of recall's SQL is
shared (``lore.store.sql.search``).

The shared recall code hands over FTS5 match expressions (quoted alternatives joined by OR,
``lore.recall.text.match_expression``); each alternative becomes a phrase query here. A word
match scores as BM25 weighs terms: each alternative's ``ts_rank`` (term frequency, damped by
the node's length) times its inverse document frequency, so a rare word outweighs a common one
as it does on SQLite. Identifiers score by ``word_similarity``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from lore.store.base import RecallFilter
from lore.store.sql import like_escaped
from lore.store.sql.search import SQLSearch, recall_clause

_ALTERNATIVE = re.compile(r'"((?:[^"]|"")*)"')
# As the ``search`` column reads its text (0006_search.sql).
_PHRASE = "phraseto_tsquery('english', regexp_replace(?, '[^[:alnum:]]+', ' ', 'g'))"
_SUBSTRING_TEXT = "lower(n.title || ' ' || n.body || ' ' || n.files)"
# Document frequencies are counted up to this many nodes: a word in more weighs next to
# nothing anyway, and counting all its rows would cost most for the commonest words.
FREQUENCY_CAP = 5000


def alternatives(match: str) -> list[str]:
    """The quoted alternatives of an FTS5 match expression, unquoted."""
    return [found.replace('""', '"') for found in _ALTERNATIVE.findall(match)]


def _quoted(phrase: str) -> str:
    return '"' + phrase.replace('"', '""') + '"'


class PostgresSearch(SQLSearch):
    def lexical(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        weights = self._idf(alternatives(match))
        if not weights:
            return {}
        clause, params = recall_clause(project_id, where, self.db.dialect)
        phrases = list(weights)
        query = " || ".join([_PHRASE] * len(phrases))
        score = " + ".join([f"? * ts_rank(n.search, {_PHRASE}, 1)"] * len(phrases))
        rows = self.db.tuples(
            f"SELECT n.id, {score} AS score FROM nodes n"
            f" WHERE n.search @@ ({query}) AND {clause} ORDER BY score DESC, n.id LIMIT ?",
            [
                *(value for phrase in phrases for value in (weights[phrase], phrase)),
                *phrases,
                *params,
                limit,
            ],
        )
        return {int(node_id): float(score) for node_id, score in rows if score > 0}

    def _idf(self, phrases: Sequence[str]) -> dict[str, float]:
        """Each phrase that matches some node, with BM25's inverse document frequency over
        every node (as FTS5 computes it over its whole index)."""
        if not phrases:
            return {}
        counts = self.match_counts([_quoted(phrase) for phrase in phrases], FREQUENCY_CAP)
        total = max(self.max_node_id(), 1)
        return {
            phrase: math.log((total - count + 0.5) / (count + 0.5) + 1)
            for phrase, count in zip(phrases, counts, strict=True)
            if count
        }

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
