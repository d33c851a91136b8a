-- Listings that cost one page, not the store (include/stoa/storage.h S7, ABI 1.4).
-- ixid: the inserting transaction's id; seq: the insert's order within all inserts.
-- /index pages in (ixid, seq) order and shows only rows whose transaction is older
-- than every transaction still running (pg_snapshot_xmin), so a put that commits late
-- can never land behind a cursor a reader already holds. Existing rows get ixid 0 and
-- a seq in created_at order.
CREATE SEQUENCE storage_files_seq;
ALTER TABLE storage_files ADD COLUMN ixid bigint NOT NULL DEFAULT 0;
ALTER TABLE storage_files ADD COLUMN seq bigint;
UPDATE storage_files f SET seq = o.n
  FROM (SELECT module, version, kind, row_number() OVER (ORDER BY created_at, module, version, kind) AS n
          FROM storage_files) o
 WHERE f.module = o.module AND f.version = o.version AND f.kind = o.kind;
SELECT setval('storage_files_seq', coalesce((SELECT max(seq) FROM storage_files), 0) + 1, false);
ALTER TABLE storage_files ALTER COLUMN seq SET DEFAULT nextval('storage_files_seq');
ALTER TABLE storage_files ALTER COLUMN seq SET NOT NULL;
ALTER TABLE storage_files ALTER COLUMN ixid SET DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX storage_files_catalog ON storage_files (module COLLATE "C", version COLLATE "C") WHERE kind = 'info';
CREATE INDEX storage_files_index ON storage_files (ixid, seq) WHERE kind = 'info';
