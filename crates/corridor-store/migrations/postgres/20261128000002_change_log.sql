-- Every change to data that derived indexes are built from (today: instruments) appends a
-- row here, in the same transaction. Serving nodes poll it to keep their in-memory search
-- index fresh; nothing ever updates or deletes a row. Sequence values may commit out of
-- order under concurrency, so readers re-read a window below their high-water mark.
CREATE TABLE change_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('upsert', 'delete')),
    occurred_at TIMESTAMPTZ NOT NULL
);
