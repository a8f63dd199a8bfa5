-- Recall counts query-term matches with capped MATCH queries instead (fts5vocab counts a term by
-- walking its whole document list, which costs most for the commonest terms).
DROP TABLE IF EXISTS node_fts_terms;
