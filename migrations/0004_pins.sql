-- Pins (include/stoa/storage.h S6, docs/integrity.md): the go.sum hash stoa first served
-- for each mod and zip it filled from an upstream. Rows outlive the cached files
-- (deleting or evicting a version leaves its pins), so a refetch after a cache loss, or
-- by another replica, is held to the same bytes.
CREATE TABLE storage_pins (
    module    text NOT NULL,
    version   text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('mod', 'zip')),
    h1        text NOT NULL CHECK (h1 ~ '^h1:[A-Za-z0-9+/=]+$'),
    -- verified: the checksum database has this hash; unverified: cached while the
    -- database could not answer, re-checked in the background; unchecked: not subject
    -- to the database (nosumdb, sumdb_check off, unknown to it)
    state     text NOT NULL CHECK (state IN ('unverified', 'verified', 'unchecked')),
    pinned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (module, version, kind)
);

-- The background re-check asks for the unverified ones only.
CREATE INDEX storage_pins_unverified ON storage_pins (module, version, kind) WHERE state = 'unverified';
