-- Recall's full text on PostgreSQL (lore.store.postgres.search). Words: a tsvector of title,
-- body, tags and files, with every run of other characters read as a space (as SQLite's
-- unicode61 tokenizer splits ``src/shop/auth.py``), stemmed by the english configuration.
-- Identifiers written as one word: trigrams of the same text, lower-cased, for substring
-- matches inside longer words; routing nodes (tags, intents) are left out, as on SQLite.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE nodes ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('english', regexp_replace(
        title || ' ' || body || ' ' || tags || ' ' || files, '[^[:alnum:]]+', ' ', 'g'))
) STORED;
CREATE INDEX nodes_search ON nodes USING gin (search);
CREATE INDEX nodes_substrings ON nodes USING gin (
    lower(title || ' ' || body || ' ' || files) gin_trgm_ops
) WHERE kind NOT IN ('tag', 'intent');
