-- Every change to data that derived indexes are built from (today: instruments) appends a
-- row here, in the same transaction. Serving nodes poll it to keep their in-memory search
-- index fresh; nothing ever updates or deletes a row.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('upsert', 'delete')),
    occurred_at INTEGER NOT NULL
) STRICT;
