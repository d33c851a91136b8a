-- pgs3 storage plugin (docs/storage-pgs3.md): one row per stored file; the bytes live
-- in S3 under blobs/sha256/<first 2 hex>/<other 62 hex>, shared by identical files.

-- Bodies known to the database. A put touches its body's row before uploading it;
-- `stoa gc` removes bodies no file refers to once touched_at is older than its grace.
CREATE TABLE storage_blobs (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint NOT NULL CHECK (size >= 0),
    touched_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE storage_files (
    module     text NOT NULL,            -- decoded module path, or the checksum database name
    version    text NOT NULL,            -- '' for list, latest and sumdb_latest
    kind       text NOT NULL CHECK (kind IN ('info', 'mod', 'zip', 'list', 'latest', 'sumdb_tile', 'sumdb_latest')),
    size       bigint NOT NULL CHECK (size >= 0),
    sha256     text NOT NULL REFERENCES storage_blobs (sha256),
    h1         text NOT NULL DEFAULT '', -- go.sum hash of zip and mod files
    origin     text NOT NULL,            -- 'published', or the name of the upstream it came from
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (module, version, kind)
);

-- gc asks "does any file still use this body?"
CREATE INDEX storage_files_sha256 ON storage_files (sha256);
