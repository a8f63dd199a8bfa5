"""Recall's full text on SQLite: the FTS5 indexes of ``0300_recall.sql`` (Porter-stemmed words
for BM25, trigrams for identifiers inside longer words), kept current by triggers. The full-text
tables hold every project: matching across them and keeping the project's best rows costs less
than a project token in the MATCH. The rest of recall's SQL is shared (``lore.store.sql.search``).
"""

from __future__ import annotations

from collections.abc import Sequence

from lore.store.base import RecallFilter
from lore.store.sql.search import SQLSearch, recall_clause

# Kinds few nodes have: asked for alone, their ``scope`` tokens narrow the MATCH cheaply.
SPARSE_KINDS = frozenset({"tag", "intent", "subgoal"})
# Full-text rows read at most per query (the lexical budget keeps matches under this), and the
# extra rows checked per step when filtering them by project and filter.
MATCHED_ROWS = 5000
ADMIT_SLACK = 20
# Rows read first, as a multiple of the rows wanted (enough when one project holds them).
FIRST_READ = 4


class SQLiteSearch(SQLSearch):
    def lexical(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        expression = f"text : ({match})"
        if set(where.kinds) <= SPARSE_KINDS:
            # Few nodes have these kinds: their tokens make the MATCH cheaper, not dearer.
            kinds = " OR ".join(f"k{kind}" for kind in where.kinds)
            expression = f"scope : ({kinds}) AND {expression}"
        sql = (
            "SELECT rowid, bm25(node_fts, 1.0, 0.0) AS score FROM node_fts"
            " WHERE node_fts MATCH ? ORDER BY score LIMIT ?"
        )
        return self._best_admitted(project_id, sql, expression, where, limit)

    def substring(
        self, project_id: int, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        sql = (
            "SELECT rowid, bm25(node_trigram) AS score FROM node_trigram"
            " WHERE node_trigram MATCH ? ORDER BY score LIMIT ?"
        )
        return self._best_admitted(project_id, sql, match, where, limit)

    def _best_admitted(
        self, project_id: int, sql: str, match: str, where: RecallFilter, limit: int
    ) -> dict[int, float]:
        """The best ``limit`` rows of a full-text ``sql`` that ``_admitted`` keeps: a few
        times the limit is read first, and all matches only when too few of those are kept
        (other projects' rows ranked first)."""
        first = self.db.tuples(sql, (match, FIRST_READ * limit))
        kept = self._admitted(project_id, first, where, limit)
        if len(kept) < limit and len(first) == FIRST_READ * limit:
            kept = self._admitted(
                project_id, self.db.tuples(sql, (match, MATCHED_ROWS)), where, limit
            )
        return kept

    def _admitted(
        self,
        project_id: int,
        ranked: Sequence[tuple[int, float]],
        where: RecallFilter,
        limit: int,
    ) -> dict[int, float]:
        """The first ``limit`` of ``ranked`` (rowid, bm25) that are in the project and pass the
        filter, with positive scores. The full-text tables hold every project: matching across
        them and filtering the best rows costs less than a project token ANDed into the MATCH,
        which makes FTS5 walk the project's whole document list."""
        clause, params = recall_clause(project_id, where, self.db.dialect)
        kept: dict[int, float] = {}
        step = limit + ADMIT_SLACK
        for start in range(0, len(ranked), step):
            chunk = ranked[start : start + step]
            ids = [row[0] for row in chunk]
            admitted = {
                row[0]
                for row in self.db.tuples(
                    f"SELECT n.id FROM nodes n NOT INDEXED WHERE n.id IN ({_marks(ids)})"
                    f" AND {clause}",
                    [*ids, *params],
                )
            }
            for node_id, score in chunk:
                if node_id in admitted:
                    kept[node_id] = -score
                    if len(kept) == limit:
                        return kept
        return kept

    def match_counts(self, expressions: Sequence[str], cap: int) -> list[int]:
        counts = []
        for expression in expressions:
            rows = self.db.tuples(
                "SELECT count(*) FROM (SELECT rowid FROM node_fts WHERE node_fts MATCH ? LIMIT ?)",
                (f"text : ({expression})", cap + 1),
            )
            counts.append(int(rows[0][0]))
        return counts


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))
