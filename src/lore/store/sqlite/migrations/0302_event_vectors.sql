-- The vector of each event, as Embed computes it to compose its windows' vectors: recall orders
-- the events of a window it returns by their likeness to the query (the answer first). Half
-- precision: an order within a window needs no more.
CREATE TABLE event_vectors (
    event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    model    TEXT NOT NULL,
    vector   BLOB NOT NULL
);
