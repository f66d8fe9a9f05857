-- Catalogue files kept between their check and their apply (issue 24, the import pages and
-- API). An institution admin uploads a file and reads its dry-run report; the apply then
-- reads the very bytes that were checked from here, so no plan ever travels through the
-- browser and a multi-node deployment applies on any node.
--
-- sha256: the lowercase hex SHA-256 of the content, the file's name in URLs.
-- uploaded_at: when it was last uploaded; the application layer forgets files after a day
--   and keeps only an institution's latest few.
CREATE TABLE catalogue_uploads (
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    file_name TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES users (id),
    uploaded_at INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (institution_id, sha256)
);
CREATE INDEX catalogue_uploads_by_age ON catalogue_uploads (uploaded_at);
